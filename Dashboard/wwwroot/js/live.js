// One live stream (server-sent events) for the open page: batches of events, a few a second however fast they come.
// The browser's EventSource reconnects by itself; when the server refuses the stream (logged out, restarting) it
// gives up, so this retries with a growing delay. The banner says what is going on in words.
const banner = () => document.getElementById('conn');

function say(text, ok = false) {
  const b = banner();
  if (!b) return;
  b.textContent = text;
  b.classList.toggle('ok', ok);
}

let brokerUp = true;
export function brokerStatus() { return brokerUp; }

export class LiveStream {
  constructor(params, onEvents) {
    this.params = params;
    this.onEvents = onEvents;
    this.closed = false;
    this.retry = 1000;
    this.received = 0;
    this.skipped = 0;
    this.open();
  }

  open() {
    if (this.closed) return;
    const query = new URLSearchParams(Object.entries(this.params).filter(([, v]) => v)).toString();
    const source = new EventSource('/api/events' + (query ? '?' + query : ''));
    this.source = source;
    source.onopen = () => { this.retry = 1000; };
    source.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.kind === 'hello') {
        brokerUp = msg.broker;
        say(msg.broker ? '' : 'The broker cannot be reached; the dashboard reconnects by itself.');
        this.onEvents([], 0, true);
        return;
      }
      if (msg.kind !== 'batch') return;
      for (const e of msg.events) {
        if (e.kind === 'status') {
          brokerUp = e.broker;
          say(e.broker ? 'The broker is back; live updates go on.' : 'The broker went away; the dashboard reconnects by itself.', e.broker);
          if (e.broker) setTimeout(() => { if (brokerUp && banner()?.classList.contains('ok')) say(''); }, 4000);
        }
      }
      this.received += msg.events.length;
      this.skipped += msg.skipped;
      this.onEvents(msg.events, msg.skipped, false);
    };
    source.onerror = () => {
      if (this.closed) return;
      if (source.readyState === EventSource.CLOSED) {
        say(`Live updates stopped; trying again in ${Math.round(this.retry / 1000)} s.`);
        setTimeout(() => this.open(), this.retry);
        this.retry = Math.min(this.retry * 2, 15000);
      } else {
        say('Connection to the dashboard lost; reconnecting…');
      }
    };
  }

  close() {
    this.closed = true;
    this.source?.close();
  }
}
