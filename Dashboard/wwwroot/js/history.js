// Where the plot gets a key's past values. Sources are tried in order; the first that has history answers. The one
// source today asks the dashboard's history endpoint, which says the hub keeps no history yet (it will answer from the
// hub's GET_HISTORY once that exists, without a change here). Another source (e.g. a browser cache) plugs in with
// registerHistorySource.
import { api, enc } from './api.js';

const sources = [
  {
    name: 'hub',
    async load(station, device, key, from, to) {
      const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
      const r = await api(`/api/devices/${enc(station)}/${enc(device)}/history/${enc(key)}?${q}`);
      if (!r.ok) return { available: false, note: `history: ${r.error.code}: ${r.error.message}`, points: [] };
      return r.data;
    },
  },
];

export function registerHistorySource(source) { sources.unshift(source); }

export async function loadHistory(station, device, key, from, to) {
  const notes = [];
  for (const s of sources) {
    const answer = await s.load(station, device, key, from, to);
    if (answer.available) return answer;
    if (answer.note) notes.push(answer.note);
  }
  return { available: false, note: notes.join('; '), points: [] };
}
