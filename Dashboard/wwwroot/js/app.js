// The one page: a session check (login when the broker has users), then a hash router over the pages.
import { api } from './api.js';
import { h, errorText } from './dom.js';
import { overview } from './overview.js';
import { devicePage } from './device.js';
import { plotPage } from './plot.js';
import { eventsPage } from './events.js';
import { stationPage } from './station.js';

const main = () => document.getElementById('main');
let current = null;   // the page's cleanup (closes its live stream)
let session = null;

async function checkSession() {
  const r = await api('/api/session');
  if (!r.ok) {
    setTimeout(start, 2000);
    return null;
  }
  session = r.data;
  const access = document.getElementById('access');
  const logout = document.getElementById('logout');
  if (session.mode === 'anonymous') {
    access.textContent = `Anonymous access: the broker at ${session.broker} lets anonymous clients in, so anyone on this machine can use this page.`;
  } else if (session.loggedIn) {
    access.textContent = `Logged in as ${session.user} (${session.mode === 'broker' ? 'broker user' : 'dashboard user'}).`;
  } else {
    access.textContent = session.mode === 'unknown' ? '' : 'Login required.';
  }
  logout.hidden = !(session.loggedIn && session.mode !== 'anonymous');
  return session;
}

function loginForm(message) {
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert', text: message ?? '' });
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password' });
  const form = h('form', { id: 'login-form', class: 'login', 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title', text: session?.mode === 'users-file' ? 'Log in (dashboard user)' : 'Log in with your broker user' }),
    h('label', { for: 'login-user', text: 'User' }), user,
    h('label', { for: 'login-password', text: 'Password' }), password,
    h('p', {}, h('button', { id: 'login-button', type: 'submit', text: 'Log in' })),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = 'Logging in…';
    const r = await api('/api/login', { method: 'POST', body: { user: user.value, password: password.value } });
    if (r.ok) { start(); return; }
    error.textContent = `Login refused: ${errorText(r.error)}`;
  });
  main().replaceChildren(form);
  user.focus();
}

function route() {
  current?.();
  current = null;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const root = main();
  root.replaceChildren();
  switch (parts[0]) {
    case 'device': current = devicePage(root, parts[1], parts[2]); break;
    case 'plot': current = plotPage(root, parts[1], parts[2], parts[3]); break;
    case 'events': current = eventsPage(root); break;
    case 'station': current = stationPage(root, parts[1]); break;
    default: current = overview(root);
  }
}

async function start() {
  const s = await checkSession();
  if (!s) return;
  if (s.mode === 'unknown') {
    current?.(); current = null;
    main().replaceChildren(h('p', { role: 'alert', text: `${s.waiting ?? 'Waiting for the broker'}; this page retries by itself.` }));
    setTimeout(start, 2000);
    return;
  }
  if (!s.loggedIn) { current?.(); current = null; loginForm(); return; }
  route();
}

window.addEventListener('hashchange', () => { if (session?.loggedIn) route(); });
window.addEventListener('dashboard-unauthorized', (e) => {
  if (session?.mode !== 'anonymous' && session?.loggedIn) { session.loggedIn = false; current?.(); current = null; loginForm(`Logged out: ${e.detail.message}`); }
});
document.getElementById('logout').addEventListener('click', async () => {
  await api('/api/logout', { method: 'POST' });
  start();
});
start();
