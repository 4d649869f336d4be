// The dashboard's JSON API. Every answer is the wire's envelope: {status:"ok",data} or {status:"error",error:{code,message}}.
// State-changing calls carry the custom header the server's cross-site check wants.
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') {
    init.headers['X-MqttIoT-Dashboard'] = '1';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    return { ok: false, status: 0, error: { code: 'UNREACHABLE', message: 'the dashboard server cannot be reached; retrying by itself' } };
  }
  let envelope = null;
  try { envelope = await response.json(); } catch { /* not JSON: described below */ }
  if (envelope && envelope.status === 'ok') return { ok: true, status: response.status, data: envelope.data };
  const error = envelope?.error ?? { code: `HTTP_${response.status}`, message: response.statusText || 'no answer' };
  if (response.status === 401) window.dispatchEvent(new CustomEvent('dashboard-unauthorized', { detail: error }));
  return { ok: false, status: response.status, error };
}

export const enc = encodeURIComponent;
