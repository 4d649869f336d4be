// Drives MqttIoT with MQTT.js (MQTT v5) as a third-party client would: reads a device's retained props, makes
// requests with Response Topic and Correlation Data, and watches a device's NOTIFIED events. Prints one JSON line per
// result ({"kind": "props"|"reply"|"event", ...}); exits 1 when something does not come in time.
// Usage: node client.js HOST PORT USER PASSWORD CLIENT_ID STATION DEVICE (USER and PASSWORD may be "").
'use strict';
const crypto = require('crypto');
const mqtt = require('mqtt');

const TIMEOUT_MS = 15000;
const [host, port, user, password, clientId, station, device] = process.argv.slice(2);
const deviceTopic = `iot/v1/stations/${station}/devices/${device}`;
const replies = `iot/v1/clients/${clientId}/replies`;
const waiting = [];
const received = [];

function fail(what) {
  console.log(JSON.stringify({ kind: 'error', what }));
  process.exit(1);
}

function nextMessage(accept) {
  const found = received.findIndex(accept);
  if (found >= 0) return Promise.resolve(received.splice(found, 1)[0]);
  return new Promise((resolve) => {
    const timer = setTimeout(() => fail('nothing came in time'), TIMEOUT_MS);
    waiting.push({ accept, resolve: (m) => { clearTimeout(timer); resolve(m); } });
  });
}

const client = mqtt.connect(`mqtt://${host}:${port}`, {
  protocolVersion: 5, clientId, clean: true, reconnectPeriod: 0, connectTimeout: TIMEOUT_MS,
  ...(user ? { username: user, password } : {}),
});
client.on('error', (e) => fail(`client error: ${e.message}`));
client.on('message', (topic, payload, packet) => {
  const message = { topic, payload, retain: packet.retain, properties: packet.properties || {} };
  const i = waiting.findIndex((w) => w.accept(message));
  if (i >= 0) waiting.splice(i, 1)[0].resolve(message);
  else received.push(message);
});

async function request(kind, body) {
  const correlation = crypto.randomBytes(16);
  await client.publishAsync(`${deviceTopic}/requests/${kind}`, JSON.stringify(body), {
    qos: 1, properties: { responseTopic: replies, correlationData: correlation, messageExpiryInterval: 10 },
  });
  const reply = await nextMessage((m) => m.topic === replies && Buffer.isBuffer(m.properties.correlationData)
    && m.properties.correlationData.equals(correlation));
  console.log(JSON.stringify({ kind: 'reply', request: kind, envelope: JSON.parse(reply.payload.toString()) }));
}

const noConnAck = setTimeout(() => fail('no CONNACK'), TIMEOUT_MS);
client.on('connect', async () => {
  clearTimeout(noConnAck);
  try {
    await client.subscribeAsync([replies, `${deviceTopic}/props`, `${deviceTopic}/events/NOTIFIED/counter`], { qos: 1 });
    const props = await nextMessage((m) => m.topic === `${deviceTopic}/props` && m.retain);
    console.log(JSON.stringify({ kind: 'props', props: JSON.parse(props.payload.toString()) }));
    await request('READ_VALUE', { key: 'temperature' });
    await request('START_NOTIFY', { key: 'counter' });
    const event = await nextMessage((m) => m.topic.endsWith('/events/NOTIFIED/counter'));
    console.log(JSON.stringify({ kind: 'event', event: JSON.parse(event.payload.toString()) }));
    await request('STOP_NOTIFY', { key: 'counter' });
    await client.endAsync();
    process.exit(0);
  } catch (e) {
    fail(e.message);
  }
});
