// A key's values over time on a canvas: history first (see history.js), then every value seen since the page opened
// (reads, the hub's last notified value) and a point per NOTIFIED event. Zoom: drag across the plot, the buttons, or
// the from/to fields. Points are capped (oldest dropped) and drawing happens at most once per animation frame, so a
// fast stream costs a bounded amount of memory and time.
import { api, enc } from './api.js';
import { h, errorText, time } from './dom.js';
import { LiveStream } from './live.js';
import { loadHistory } from './history.js';

const MaxPoints = 20000;

export function plotPage(root, station, device, key) {
  const base = `/api/devices/${enc(station)}/${enc(device)}`;
  const points = [];           // {t: ms, v: number, raw: string}, in time order
  let view = null;             // {from, to} in ms, or null for everything
  let skippedText = 0;
  const canvas = h('canvas', { id: 'plot', role: 'img', 'aria-label': `Values of ${key} over time` });
  const count = h('p', { id: 'point-count', 'aria-live': 'off' });
  const note = h('p', { id: 'plot-note', class: 'muted' });
  const error = h('p', { id: 'plot-error', class: 'error', role: 'alert' });
  const from = h('input', { id: 'zoom-from', type: 'datetime-local', step: 1 });
  const to = h('input', { id: 'zoom-to', type: 'datetime-local', step: 1 });
  const last = h('p', { id: 'last-value' });

  function add(t, raw, text) {
    const v = Number(text ?? raw);
    if (!Number.isFinite(v)) { skippedText++; return; }
    if (points.length && t < points[points.length - 1].t) {
      let i = points.length; while (i > 0 && points[i - 1].t > t) i--;
      points.splice(i, 0, { t, v, raw: text ?? raw });
    } else points.push({ t, v, raw: text ?? raw });
    if (points.length > MaxPoints) points.splice(0, points.length - MaxPoints);
    last.textContent = `Last value: ${text ?? raw} at ${time(new Date(t).toISOString())}`;
    schedule();
  }

  let drawing = false;
  function schedule() { if (!drawing) { drawing = true; requestAnimationFrame(draw); } }

  function draw() {
    drawing = false;
    count.textContent = `${points.length} points${skippedText ? ` (${skippedText} values not numbers)` : ''}`;
    root.dataset.points = String(points.length);
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, hgt = canvas.clientHeight;
    if (canvas.width !== w * ratio) { canvas.width = w * ratio; canvas.height = hgt * ratio; }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const shown = view ? points.filter(p => p.t >= view.from && p.t <= view.to) : points;
    if (!shown.length) { g.fillStyle = '#59636e'; g.fillText('No numeric value yet: turn notifications on or read the key.', 12, 20); return; }
    const t0 = view?.from ?? shown[0].t, t1 = view?.to ?? Math.max(shown[shown.length - 1].t, t0 + 1000);
    let lo = Infinity, hi = -Infinity;
    for (const p of shown) { if (p.v < lo) lo = p.v; if (p.v > hi) hi = p.v; }
    if (lo === hi) { lo -= 1; hi += 1; }
    const pad = 40, x = t => pad + (t - t0) / (t1 - t0) * (w - pad - 10), y = v => hgt - 20 - (v - lo) / (hi - lo) * (hgt - 30);
    g.strokeStyle = '#d0d7de'; g.fillStyle = '#59636e'; g.beginPath();
    g.moveTo(pad, 10); g.lineTo(pad, hgt - 20); g.lineTo(w - 10, hgt - 20); g.stroke();
    g.fillText(String(+hi.toPrecision(6)), 2, 14); g.fillText(String(+lo.toPrecision(6)), 2, hgt - 22);
    g.fillText(time(new Date(t0).toISOString()), pad, hgt - 6);
    const endLabel = time(new Date(t1).toISOString()); g.fillText(endLabel, w - 10 - g.measureText(endLabel).width, hgt - 6);
    g.strokeStyle = '#0b57d0'; g.beginPath();
    // At most one vertex per pixel column: thousands of points draw in the same time as a few hundred.
    let lastX = -1;
    shown.forEach((p, i) => { const px = Math.round(x(p.t)); if (px === lastX && i !== shown.length - 1) return; lastX = px; i ? g.lineTo(px, y(p.v)) : g.moveTo(px, y(p.v)); });
    g.stroke();
    if (shown.length < 200) { g.fillStyle = '#0b57d0'; for (const p of shown) g.fillRect(x(p.t) - 2, y(p.v) - 2, 4, 4); }
  }

  function setView(v) {
    view = v;
    const local = ms => new Date(ms - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 19);
    from.value = v ? local(v.from) : ''; to.value = v ? local(v.to) : '';
    schedule();
  }
  const span = () => view ? view.to - view.from : points.length ? Math.max(points[points.length - 1].t - points[0].t, 1000) : 60000;
  const center = () => view ? (view.from + view.to) / 2 : points.length ? (points[0].t + points[points.length - 1].t) / 2 : Date.now();
  const zoom = f => { const c = center(), s = span() * f / 2; setView({ from: c - s, to: c + s }); };
  const lastFor = ms => { const end = Date.now(); setView({ from: end - ms, to: end }); };

  // Drag across the plot to zoom to that range.
  let dragStart = null;
  canvas.addEventListener('pointerdown', e => { dragStart = e.offsetX; });
  canvas.addEventListener('pointerup', e => {
    if (dragStart === null || Math.abs(e.offsetX - dragStart) < 5 || !points.length) { dragStart = null; return; }
    const shown = view ?? { from: points[0].t, to: Math.max(points[points.length - 1].t, points[0].t + 1000) };
    const w = canvas.clientWidth, pad = 40, t = px => shown.from + (px - pad) / (w - pad - 10) * (shown.to - shown.from);
    setView({ from: t(Math.min(dragStart, e.offsetX)), to: t(Math.max(dragStart, e.offsetX)) });
    dragStart = null;
  });

  async function read() {
    const r = await api(`${base}/requests/READ_VALUE`, { method: 'POST', body: { key } });
    if (!r.ok) { error.textContent = `READ_VALUE failed: ${errorText(r.error)}`; return; }
    error.textContent = '';
    add(Date.now(), r.data.value, r.data.text);
  }
  async function notify(on) {
    const r = await api(`${base}/requests/${on ? 'START_NOTIFY' : 'STOP_NOTIFY'}`, { method: 'POST', body: { key } });
    error.textContent = r.ok ? '' : `${on ? 'START_NOTIFY' : 'STOP_NOTIFY'} failed: ${errorText(r.error)}`;
  }

  root.append(
    h('h2', { text: `${key} of ` }, h('a', { href: `#/device/${enc(station)}/${enc(device)}`, text: `${device}` }), ` (${station})`),
    h('div', { class: 'row', role: 'group', 'aria-label': 'Values' },
      h('button', { type: 'button', id: 'notify-on', text: 'Notify on', onclick: () => notify(true) }),
      h('button', { type: 'button', id: 'notify-off', text: 'Notify off', onclick: () => notify(false) }),
      h('button', { type: 'button', id: 'read-now', text: 'Read now', onclick: read })),
    error, canvas, count, last, note,
    h('div', { class: 'row', role: 'group', 'aria-label': 'Zoom' },
      h('button', { type: 'button', id: 'zoom-1m', text: 'Last minute', onclick: () => lastFor(60000) }),
      h('button', { type: 'button', id: 'zoom-5m', text: 'Last 5 minutes', onclick: () => lastFor(300000) }),
      h('button', { type: 'button', id: 'zoom-in', text: 'Zoom in', onclick: () => zoom(0.5) }),
      h('button', { type: 'button', id: 'zoom-out', text: 'Zoom out', onclick: () => zoom(2) }),
      h('button', { type: 'button', id: 'zoom-all', text: 'All', onclick: () => setView(null) })),
    h('form', { class: 'row', 'aria-label': 'Time range',
      onsubmit: e => {
        e.preventDefault();
        const f = Date.parse(from.value), t = Date.parse(to.value);
        if (!Number.isFinite(f) || !Number.isFinite(t) || f >= t) { error.textContent = 'The range needs a start before its end.'; return; }
        error.textContent = ''; setView({ from: f, to: t });
      } },
      h('label', { for: 'zoom-from', text: 'From' }), from, h('label', { for: 'zoom-to', text: 'To' }), to,
      h('button', { type: 'submit', id: 'zoom-apply', text: 'Show range' })));

  const opened = new Date();
  loadHistory(station, device, key, new Date(opened - 3600000), opened).then(a => {
    note.textContent = a.available ? '' : a.note;
    for (const p of a.points) add(Date.parse(p.at), p.value, p.text);
  });
  api(base).then(r => { const n = r.ok ? r.data.notified?.[key] : null; if (n) add(Date.parse(n.at), n.value, n.text); });
  schedule();
  const onResize = () => schedule();
  window.addEventListener('resize', onResize);
  const live = new LiveStream({ station, device, key, types: 'NOTIFIED' }, events => {
    for (const e of events) if (e.type === 'NOTIFIED') add(Date.parse(e.at), e.value, e.text);
  });
  return () => { live.close(); window.removeEventListener('resize', onResize); };
}
