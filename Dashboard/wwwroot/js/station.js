// A station: its hub record and props, start/stop, discovery on/off and a scan, and its discovered devices with
// connect/disconnect. Each answer is shown as the reply or as the error code and message.
import { api, enc } from './api.js';
import { h, errorText, throttle } from './dom.js';
import { LiveStream } from './live.js';

export function stationPage(root, station) {
  const base = `/api/stations/${enc(station)}`;
  const summary = h('p', { id: 'station-summary' });
  const problem = h('p', { id: 'station-error', class: 'error', role: 'alert' });
  const reply = h('p', { id: 'station-reply', role: 'status', 'aria-live': 'polite' });
  const body = h('tbody');

  async function request(type, device) {
    const label = device ? `${type} ${device}` : type;
    reply.textContent = `${label}: waiting for the station…`;
    const r = await api(`${base}/requests/${type}`, { method: 'POST', body: device ? { device } : {} });
    reply.textContent = r.ok ? `${label}: ok` : `${label} failed: ${errorText(r.error)}`;
    reply.className = r.ok ? '' : 'error';
    refresh();
  }

  async function load() {
    const r = await api(base);
    if (!r.ok) { problem.textContent = `The station cannot be read: ${errorText(r.error)}`; return; }
    const { record, discovered, discoveredError, connected, connectedError } = r.data;
    const p = record.props ?? {};
    summary.replaceChildren(h('span', { class: record.online ? 'online' : 'offline', text: record.online ? 'online' : 'offline' }),
      ` · backend ${p.backend ?? '?'} · ${p.started ? 'started' : 'stopped'} · discovery ${p.discoveryEnabled ? 'enabled' : 'disabled'}${p.discovering ? ', scanning' : ''}`
      + ` · ${p.connectedDevices ?? 0} connected of ${p.knownDevices ?? 0} known`);
    problem.textContent = [discoveredError && `Discovered devices: ${errorText(discoveredError)}`, connectedError && `Connected devices: ${errorText(connectedError)}`]
      .filter(Boolean).join(' · ');
    const online = new Set(connected ?? []);
    body.replaceChildren(...(discovered ?? []).map(d => {
      const isConnected = online.has(d.id) || d.connected;
      return h('tr', {},
        h('td', {}, h('a', { href: `#/device/${enc(station)}/${enc(d.id)}`, text: d.id })),
        h('td', { text: d.name ?? '' }),
        h('td', { class: isConnected ? 'online' : 'offline', text: isConnected ? 'connected' : 'not connected' }),
        h('td', {}, isConnected
          ? h('button', { type: 'button', 'aria-label': `Disconnect ${d.id}`, text: 'Disconnect', onclick: () => request('DISCONNECT', d.id) })
          : h('button', { type: 'button', 'aria-label': `Connect ${d.id}`, text: 'Connect', onclick: () => request('CONNECT', d.id) })));
    }));
  }
  const refresh = throttle(load, 500);

  const button = (id, text, type) => h('button', { type: 'button', id, text, onclick: () => request(type) });
  root.append(h('h2', { text: `Station ${station}` }), summary, problem,
    h('div', { class: 'row', role: 'group', 'aria-label': 'Station requests' },
      button('st-start', 'Start', 'START'), button('st-stop', 'Stop', 'STOP'),
      button('st-enable', 'Discovery on', 'ENABLE_DISCOVERY'), button('st-disable', 'Discovery off', 'DISABLE_DISCOVERY'),
      button('st-scan', 'Scan now', 'START_DISCOVERY'), button('st-scan-stop', 'Stop scan', 'STOP_DISCOVERY')),
    reply,
    h('table', { id: 'discovered' }, h('caption', { text: 'Known devices (discovered or connected)' }),
      h('thead', {}, h('tr', {}, ['Device', 'Name', 'State', 'Action'].map(t => h('th', { scope: 'col', text: t })))), body));
  load();
  const live = new LiveStream({ station, types: 'STARTED,STOPPED,DISCOVERY_ENABLED,DISCOVERY_DISABLED,DISCOVERY_STARTED,DISCOVERY_STOPPED,DEVICE_DISCOVERED,DEVICE_CONNECTED,DEVICE_DISCONNECTED,PROPS_CHANGED' },
    (events, skipped, hello) => { if (hello || events.length) refresh(); });
  return () => live.close();
}
