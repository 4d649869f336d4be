// The live events log: every station and device event, filterable by station, device and type, pausable. It keeps
// the newest 300 that pass the filter on screen and paints new rows at most twice a second, so 1,000 events/s stay cheap.
import { h, time } from './dom.js';
import { LiveStream } from './live.js';

const Keep = 300;
const types = ['STARTED', 'STOPPED', 'DISCOVERY_ENABLED', 'DISCOVERY_DISABLED', 'DISCOVERY_STARTED', 'DISCOVERY_STOPPED',
  'DEVICE_DISCOVERED', 'DEVICE_CONNECTED', 'DEVICE_DISCONNECTED', 'PROPS_CHANGED', 'CONNECTED', 'DISCONNECTED', 'TIME_SET',
  'SYNCED', 'NOTIFIED', 'NOTIFY_STARTED', 'NOTIFY_STOPPED', 'BROKER_CONNECTED', 'BROKER_DISCONNECTED'];

export function eventsPage(root) {
  const kept = [];
  let paused = false, received = 0, skipped = 0, missed = 0;
  const station = h('input', { id: 'ev-station', size: 12 });
  const device = h('input', { id: 'ev-device', size: 12 });
  const type = h('select', { id: 'ev-type' }, h('option', { value: '', text: 'any type' }), types.map(t => h('option', { value: t, text: t })));
  const pause = h('button', { id: 'ev-pause', type: 'button', 'aria-pressed': 'false', text: 'Pause' });
  const clear = h('button', { id: 'ev-clear', type: 'button', text: 'Clear' });
  const counts = h('p', { id: 'ev-count', 'aria-live': 'off' });
  const body = h('tbody');

  const passes = e => (!station.value || e.station === station.value.trim())
    && (!device.value || e.device === device.value.trim()) && (!type.value || e.type === type.value);

  function row(e) {
    const detail = e.text ?? e.value ?? (e.data ? JSON.stringify(e.data) : '');
    return h('tr', {}, h('td', { text: time(e.at) }), h('td', { text: e.type }), h('td', { text: e.station ?? '' }),
      h('td', { text: e.device ?? '' }), h('td', { text: e.key ?? '' }), h('td', { class: 'data', text: detail }));
  }

  // The whole table again (a filter changed, resumed, cleared).
  function render() {
    const rows = [];
    for (let i = kept.length - 1; i >= 0 && rows.length < Keep; i--) if (passes(kept[i])) rows.push(row(kept[i]));
    body.replaceChildren(...rows);
    fresh = [];
    updateCounts(rows.length);
  }

  // New events only: rows for at most the newest Keep of them go on top, the oldest rows drop off the bottom. At most
  // twice a second, in one animation frame, so a burst costs one small DOM change, not one per event.
  let fresh = [], scheduled = false, lastPaint = 0;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => requestAnimationFrame(paint), Math.max(0, 500 - (performance.now() - lastPaint)));
  }
  function paint() {
    scheduled = false;
    lastPaint = performance.now();
    if (paused) return;
    const add = fresh.filter(passes).slice(-Keep);
    fresh = [];
    const fragment = document.createDocumentFragment();
    for (let i = add.length - 1; i >= 0; i--) fragment.append(row(add[i]));
    body.prepend(fragment);
    while (body.childElementCount > Keep) body.lastElementChild.remove();
    updateCounts();
  }

  function updateCounts(shown) {
    counts.textContent = `${shown ?? body.childElementCount} shown · ${received} received${skipped ? ` · ${skipped} skipped by the server in bursts` : ''}${paused ? ` · paused, ${missed} arrived since` : ''}`;
  }

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume' : 'Pause';
    missed = 0;
    if (!paused) render(); else updateCounts();
  });
  clear.addEventListener('click', () => { kept.length = 0; render(); });
  for (const el of [station, device, type]) el.addEventListener('change', render);

  root.append(h('h2', { text: 'Live events' }),
    h('form', { class: 'row', 'aria-label': 'Filter events', onsubmit: e => { e.preventDefault(); render(); } },
      h('label', { for: 'ev-station', text: 'Station' }), station,
      h('label', { for: 'ev-device', text: 'Device' }), device,
      h('label', { for: 'ev-type', text: 'Type' }), type,
      h('button', { type: 'submit', id: 'ev-filter', text: 'Filter' }), pause, clear),
    counts,
    h('table', { id: 'events', class: 'events' }, h('caption', { text: 'Newest first' }),
      h('thead', {}, h('tr', {}, ['At', 'Type', 'Station', 'Device', 'Key', 'Data'].map(t => h('th', { scope: 'col', text: t })))), body));
  render();

  // At most 50 events per push (200 a second): the rest of a burst is counted as skipped, and shown so.
  const live = new LiveStream({ max: 50 }, (events, skip) => {
    received += events.length; skipped += skip;
    if (paused) { missed += events.length; updateCounts(); return; }
    for (const e of events) { kept.push(e); fresh.push(e); }
    if (kept.length > Keep * 4) kept.splice(0, kept.length - Keep * 2);
    if (fresh.length > Keep * 2) fresh.splice(0, fresh.length - Keep);
    schedule();
  });
  return () => live.close();
}
