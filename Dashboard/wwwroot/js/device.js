// A device: the hub's record (props, keys, last notified values), live values of watched keys, and a button for
// every device request, each answer shown as the reply or as the error code and message.
import { api, enc } from './api.js';
import { h, errorText, time } from './dom.js';
import { LiveStream } from './live.js';

export function devicePage(root, station, device) {
  const base = `/api/devices/${enc(station)}/${enc(device)}`;
  const title = h('h2', { text: `Device ${device}` });
  const status = h('p', { id: 'device-status' });
  const problem = h('p', { id: 'device-error', class: 'error', role: 'alert' });
  const props = h('pre', { id: 'props', 'aria-label': 'Props' });
  const keysBody = h('tbody');
  const reply = h('p', { id: 'reply', role: 'status', 'aria-live': 'polite' });
  const replies = h('ul', { id: 'replies', class: 'replies', 'aria-label': 'Replies' });
  const writeKey = h('select', { id: 'write-key' });
  const writeValue = h('input', { id: 'write-value', size: 24 });
  const writeFormat = h('select', { id: 'write-format' }, h('option', { value: 'text', text: 'as text' }), h('option', { value: 'hex', text: 'as hex' }));
  const cells = new Map();   // key -> {value, at}

  function show(label, r) {
    const text = r.ok ? `${label}: ok${r.data !== null && r.data !== undefined ? ' ' + JSON.stringify(r.data) : ''}` : `${label} failed: ${errorText(r.error)}`;
    reply.textContent = text;
    reply.className = r.ok ? '' : 'error';
    replies.prepend(h('li', { class: r.ok ? '' : 'error', text: `${new Date().toLocaleTimeString()} ${text}` }));
    while (replies.childElementCount > 50) replies.lastElementChild.remove();
  }

  async function request(type, body, label) {
    reply.textContent = `${label ?? type}: waiting for the device…`;
    reply.className = '';
    const r = await api(`${base}/requests/${type}`, { method: 'POST', body });
    show(label ?? type, r);
    return r;
  }

  function setValue(key, value, text, at) {
    const c = cells.get(key);
    if (!c) return;
    c.value.textContent = text ?? value ?? '';
    c.value.title = value ? `hex ${value}` : '';
    c.at.textContent = time(at);
  }

  function keyRow(key, notified) {
    const value = h('td', { class: 'mono', 'data-key': key });
    const at = h('td');
    cells.set(key, { value, at });
    const row = h('tr', {},
      h('th', { scope: 'row', text: key }), value, at,
      h('td', { class: 'row' },
        h('button', { type: 'button', 'aria-label': `Read ${key}`, text: 'Read',
          onclick: async () => { const r = await request('READ_VALUE', { key }, `READ_VALUE ${key}`); if (r.ok) setValue(key, r.data.value, r.data.text, new Date().toISOString()); } }),
        h('button', { type: 'button', 'aria-label': `Notify on ${key}`, text: 'Notify on', onclick: () => request('START_NOTIFY', { key }, `START_NOTIFY ${key}`) }),
        h('button', { type: 'button', 'aria-label': `Notify off ${key}`, text: 'Notify off', onclick: () => request('STOP_NOTIFY', { key }, `STOP_NOTIFY ${key}`) }),
        h('a', { href: `#/plot/${enc(station)}/${enc(device)}/${enc(key)}`, 'aria-label': `Plot ${key}`, text: 'Plot' })));
    if (notified) setValue(key, notified.value, notified.text, notified.at);
    return row;
  }

  async function load() {
    const r = await api(base);
    if (!r.ok) {
      problem.textContent = r.error.code === 'UNKNOWN_DEVICE'
        ? `The hub has no device ${device} on station ${station} (it may have been removed): ${r.error.message}`
        : `The device's record cannot be read: ${errorText(r.error)}`;
      return;
    }
    const d = r.data;
    problem.textContent = d.props?.connected === false ? `Device ${device} is not connected; its requests fail until it is connected again.` : '';
    status.replaceChildren(`Station `, h('a', { href: `#/station/${enc(station)}`, text: station }), ` · `,
      h('span', { class: d.online ? 'online' : 'offline', text: d.online ? 'online' : 'offline' }),
      ` · ${d.props?.connected ? 'connected' : 'not connected'}${d.props?.name ? ' · ' + d.props.name : ''}`);
    props.textContent = JSON.stringify(d.props, null, 2);
    const keys = d.props?.keys ?? [];
    keysBody.replaceChildren(...keys.map(k => keyRow(k, d.notified?.[k])));
    const chosen = writeKey.value;
    writeKey.replaceChildren(...keys.map(k => h('option', { value: k, selected: k === chosen, text: k })));
  }

  const writeForm = h('form', { class: 'row', 'aria-label': 'Write a value',
    onsubmit: async (e) => {
      e.preventDefault();
      const key = writeKey.value;
      const body = writeFormat.value === 'hex' ? { key, value: writeValue.value.trim().toLowerCase() } : { key, text: writeValue.value };
      await request('WRITE_VALUE', body, `WRITE_VALUE ${key}`);
    } },
    h('label', { for: 'write-key', text: 'Key' }), writeKey,
    h('label', { for: 'write-value', text: 'Value' }), writeValue,
    h('label', { for: 'write-format', text: 'Format' }), writeFormat,
    h('button', { id: 'write-button', type: 'submit', text: 'Write' }));

  root.append(title, status, problem,
    h('section', { 'aria-labelledby': 'keys-title' }, h('h3', { id: 'keys-title', text: 'Keys' }),
      h('table', { id: 'keys' }, h('thead', {}, h('tr', {}, ['Key', 'Value', 'At', 'Actions'].map(t => h('th', { scope: 'col', text: t })))), keysBody)),
    writeForm,
    h('div', { class: 'row', role: 'group', 'aria-label': 'Device requests' },
      h('button', { type: 'button', id: 'set-time', text: 'Set time', onclick: () => request('SET_TIME') }),
      h('button', { type: 'button', id: 'sync-time', text: 'Sync time', onclick: () => request('SYNC_TIME') }),
      h('button', { type: 'button', id: 'reset', text: 'Reset', onclick: () => request('RESET') }),
      h('button', { type: 'button', id: 'disconnect', text: 'Disconnect', onclick: () => request('DISCONNECT') })),
    reply, replies,
    h('h3', { text: 'Props' }), props);

  load();
  const live = new LiveStream({ station, device }, (events, skipped, hello) => {
    if (hello) { load(); return; }
    let reload = false;
    for (const e of events) {
      if (e.kind === 'device' && e.type === 'NOTIFIED') setValue(e.key, e.value, e.text, e.at);
      else if (e.kind !== 'status') reload = true;
      if (e.kind === 'device' && e.type === 'DISCONNECTED') problem.textContent = `Device ${device} disconnected at ${time(e.at)}; requests fail until it is connected again.`;
      if (e.kind === 'device' && e.type === 'CONNECTED') problem.textContent = '';
    }
    if (reload) setTimeout(load, 300);
  });
  return () => live.close();
}
