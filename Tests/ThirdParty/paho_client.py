"""Drives MqttIoT with Eclipse Paho (python3-paho-mqtt, MQTT v5) as a third-party client would: reads a device's
retained props, makes requests with Response Topic and Correlation Data, and watches a device's NOTIFIED events.
Prints one JSON line per result ({"kind": "props"|"reply"|"event", ...}); exits 1 when something does not come in time.
Usage: paho_client.py HOST PORT USER PASSWORD CLIENT_ID STATION DEVICE (USER and PASSWORD may be "")."""
import json
import queue
import sys
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

TIMEOUT = 15

host, port, user, password, client_id, station, device = sys.argv[1:8]
device_topic = f"iot/v1/stations/{station}/devices/{device}"
replies = f"iot/v1/clients/{client_id}/replies"
received = queue.Queue()

client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
if user:
    client.username_pw_set(user, password)
client.on_message = lambda c, userdata, message: received.put(message)
connected = queue.Queue()
client.on_connect = lambda c, userdata, flags, reason, properties: connected.put(reason)
client.connect(host, int(port), keepalive=30, clean_start=True)
client.loop_start()


def fail(what):
    print(json.dumps({"kind": "error", "what": what}), flush=True)
    sys.exit(1)


def next_message(accept):
    while True:
        try:
            message = received.get(timeout=TIMEOUT)
        except queue.Empty:
            fail("nothing came in time")
        if accept(message):
            return message


def request(kind, body):
    correlation = uuid.uuid4().bytes
    properties = Properties(PacketTypes.PUBLISH)
    properties.ResponseTopic = replies
    properties.CorrelationData = correlation
    properties.MessageExpiryInterval = 10
    client.publish(f"{device_topic}/requests/{kind}", json.dumps(body), qos=1, properties=properties)
    reply = next_message(lambda m: m.topic == replies and getattr(m.properties, "CorrelationData", None) == correlation)
    print(json.dumps({"kind": "reply", "request": kind, "envelope": json.loads(reply.payload)}), flush=True)


try:
    reason = connected.get(timeout=TIMEOUT)
except queue.Empty:
    fail("no CONNACK")
if reason != 0:
    fail(f"CONNACK {reason}")
client.subscribe([(replies, 1), (f"{device_topic}/props", 1), (f"{device_topic}/events/NOTIFIED/counter", 1)])
props = next_message(lambda m: m.topic == f"{device_topic}/props" and m.retain)
print(json.dumps({"kind": "props", "props": json.loads(props.payload)}), flush=True)
request("READ_VALUE", {"key": "temperature"})
request("START_NOTIFY", {"key": "counter"})
event = next_message(lambda m: m.topic.endswith("/events/NOTIFIED/counter"))
print(json.dumps({"kind": "event", "event": json.loads(event.payload)}), flush=True)
request("STOP_NOTIFY", {"key": "counter"})
client.disconnect()
client.loop_stop()
