// Fleet overview: the hub's stations, and its devices one page at a time (search in the filter language, sort by a
// column, next/previous pages by the hub's "next" tokens), refreshed when devices come and go (at most once a second).
import { api, enc } from './api.js';
import { h, errorText, throttle } from './dom.js';
import { LiveStream } from './live.js';

const columns = [
  ['id', 'Device'], ['station', 'Station'], ['props.name', 'Name'], ['online', 'Online'], ['lastSeen', 'Last seen'],
];

export function overview(root) {
  const state = { search: '', sort: 'id', size: 50, tokens: [null], page: 0, next: null };
  const stationsBody = h('tbody');
  const stationsError = h('p', { class: 'error', role: 'alert', id: 'stations-error' });
  const search = h('input', { id: 'search', type: 'search', size: 48, placeholder: 'dev-00 or {"online":true}', 'aria-describedby': 'search-help' });
  const searchError = h('p', { id: 'search-error', class: 'error', role: 'alert' });
  const size = h('select', { id: 'page-size' }, [25, 50, 100, 250].map(n => h('option', { value: n, selected: n === state.size, text: n })));
  const devicesBody = h('tbody');
  const info = h('span', { id: 'page-info', 'aria-live': 'polite' });
  const prev = h('button', { id: 'prev', type: 'button', text: 'Previous page' });
  const next = h('button', { id: 'next', type: 'button', text: 'Next page' });
  const headRow = h('tr');

  function header() {
    headRow.replaceChildren(...columns.map(([field, label]) => {
      const dir = state.sort === field ? 'ascending' : state.sort === '-' + field ? 'descending' : 'none';
      return h('th', { scope: 'col', 'aria-sort': dir },
        h('button', { type: 'button', 'data-sort': field, onclick: () => sortBy(field),
          text: label + (dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : '') }));
    }));
  }

  function sortBy(field) {
    state.sort = state.sort === field ? '-' + field : field;
    reset();
  }

  function reset() { state.tokens = [null]; state.page = 0; loadDevices(); }

  async function loadStations() {
    const r = await api('/api/stations');
    if (!r.ok) { stationsError.textContent = `Stations: ${errorText(r.error)}`; return; }
    stationsError.textContent = '';
    stationsBody.replaceChildren(...r.data.items.map(s => h('tr', {},
      h('td', {}, h('a', { href: `#/station/${enc(s.id)}`, text: s.id })),
      h('td', { class: s.online ? 'online' : 'offline', text: s.online ? 'online' : 'offline' }),
      h('td', { text: s.props?.backend ?? '' }),
      h('td', { text: s.props?.started ? 'started' : 'stopped' }),
      h('td', { text: `${s.props?.connectedDevices ?? 0} connected / ${s.props?.knownDevices ?? 0} known` }),
      h('td', { text: String(s.devices ?? 0) }))));
    if (!r.data.items.length) stationsBody.replaceChildren(h('tr', {}, h('td', { colspan: 6, text: 'The hub knows no station yet.' })));
  }

  let loading = 0;
  async function loadDevices() {
    const mine = ++loading;
    const q = new URLSearchParams({ sort: state.sort, limit: state.size });
    if (state.search) q.set('search', state.search);
    if (state.tokens[state.page]) q.set('after', state.tokens[state.page]);
    const r = await api('/api/devices?' + q);
    if (mine !== loading) return;
    if (!r.ok) {
      searchError.textContent = r.error.code === 'BAD_REQUEST' ? `The search was refused: ${r.error.message}` : `Devices: ${errorText(r.error)}`;
      return;
    }
    searchError.textContent = '';
    state.next = r.data.next ?? null;
    const rows = r.data.items.map(d => h('tr', { 'data-device': d.id },
      h('td', {}, h('a', { href: `#/device/${enc(d.station ?? '')}/${enc(d.id)}`, text: d.id })),
      h('td', { text: d.station ?? '' }),
      h('td', { text: d.props?.name ?? '' }),
      h('td', { class: d.online ? 'online' : 'offline', text: d.online ? 'online' : d.stale ? 'stale' : 'offline' }),
      h('td', { text: d.lastSeen ? new Date(d.lastSeen).toLocaleString() : '' })));
    devicesBody.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: columns.length, text: 'No device matches.' }))]));
    info.textContent = `Page ${state.page + 1}: ${r.data.items.length} devices${state.next ? ', more on the next page' : ''}`;
    prev.disabled = state.page === 0;
    next.disabled = !state.next;
    root.dataset.loaded = String(Date.now());
  }

  prev.addEventListener('click', () => { if (state.page > 0) { state.page--; loadDevices(); } });
  next.addEventListener('click', () => {
    if (!state.next) return;
    state.tokens[state.page + 1] = state.next; state.page++; loadDevices();
  });
  size.addEventListener('change', () => { state.size = Number(size.value); reset(); });
  const form = h('form', { class: 'row', role: 'search', 'aria-label': 'Devices',
    onsubmit: (e) => {
      e.preventDefault();
      const text = search.value.trim();
      if (text.startsWith('{')) {
        try { JSON.parse(text); } catch (err) { searchError.textContent = `The filter is not valid JSON: ${err.message}`; return; }
      }
      state.search = text; reset();
    } },
    h('label', { for: 'search', text: 'Search devices' }), search,
    h('button', { id: 'search-button', type: 'submit', text: 'Search' }),
    h('label', { for: 'page-size', text: 'Per page' }), size);

  header();
  root.append(
    h('h2', { text: 'Fleet' }),
    h('table', { id: 'stations' }, h('caption', { text: 'Stations' }),
      h('thead', {}, h('tr', {}, ['Station', 'Availability', 'Backend', 'State', 'Station devices', 'Hub devices'].map(t => h('th', { scope: 'col', text: t })))),
      stationsBody),
    stationsError,
    form,
    h('p', { id: 'search-help', class: 'muted', text: 'Text finds devices whose id contains it; a JSON object is the hub\'s filter language, e.g. {"online":true,"attributes.index":{"$gte":3}}.' }),
    searchError,
    h('table', { id: 'devices' }, h('caption', { text: 'Devices' }), h('thead', {}, headRow), devicesBody),
    h('div', { class: 'row' }, prev, next, info));

  loadStations();
  loadDevices();
  // Devices coming and going, and station changes: refresh what is on screen, at most once a second.
  const refresh = throttle(() => { loadStations(); loadDevices(); }, 1000);
  const live = new LiveStream({ types: 'DEVICE_CONNECTED,DEVICE_DISCONNECTED,DEVICE_DISCOVERED,PROPS_CHANGED,STARTED,STOPPED,CONNECTED,DISCONNECTED' },
    (events, skipped, hello) => { if (hello || events.length || skipped) refresh(); });
  return () => live.close();
}
