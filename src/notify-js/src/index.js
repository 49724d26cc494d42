// Notify device SDK. One NotifyDevice per device token: it holds a realtime connection (WebSocket, or
// Server-Sent Events when WebSocket is unavailable), reconnects with backoff and jitter, de-duplicates what the
// server re-sends on reconnect, reports the device's state and acknowledges notifications.
// The wire protocol is docs/api.md section 4.
import { createSensors } from './sensors.js';
import { readEvents } from './sse.js';

export { createSensors } from './sensors.js';

const DEFAULTS = {
  transport: 'auto',
  pingInterval: 25_000, // the server closes a WebSocket after 75 s of silence; three pings fit in that
  backoff: { initial: 500, max: 30_000, factor: 2, jitter: 0.5 },
  sensors: true,
  location: false,
  idleAfter: 60_000,
  show: false,
};

/** Error raised for a credential the server refuses (401/403/404): reconnecting cannot help. */
export class NotifyAuthError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `The server refused the device token (${status}).`);
    this.name = 'NotifyAuthError';
    this.status = status;
    this.code = problem?.code;
  }
}

/** Error raised when transport: 'websocket' is asked for and no WebSocket implementation is available. */
export class NotifyTransportError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NotifyTransportError';
  }
}

export class NotifyDevice {
  /** @param {import('./index.js').NotifyDeviceOptions} options */
  constructor(options) {
    if (!options?.baseUrl || !options?.token) throw new TypeError('NotifyDevice needs baseUrl and token.');
    this.options = { ...DEFAULTS, ...options, backoff: { ...DEFAULTS.backoff, ...options.backoff } };
    this.baseUrl = String(options.baseUrl).replace(/\/+$/, '');
    this.deviceId = options.deviceId ?? null;
    this.status = 'idle';
    this.transport = null;
    /** Open notifications by id, in arrival order. */
    this.notifications = new Map();
    this._listeners = new Map();
    this._attempt = 0;
    this._wsFailures = 0;
    this._lastEventId = null;
    this._lastState = {};
    this._pending = {};
    this._expiry = new Map();
    this._timers = new Set();
    this._fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  // ---- events ----

  on(type, listener) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    this._listeners.get(type)?.delete(listener);
  }

  once(type, listener) {
    const off = this.on(type, (e) => { off(); listener(e); });
    return off;
  }

  /** Resolves with the next event of this type (rejects on a fatal error or close first). */
  next(type) {
    return new Promise((resolve, reject) => {
      const offs = [this.once(type, (e) => { offs.forEach((o) => o()); resolve(e); })];
      if (type !== 'error') offs.push(this.on('error', (e) => { if (e.fatal) { offs.forEach((o) => o()); reject(e.error); } }));
    });
  }

  _emit(type, event) {
    for (const listener of [...(this._listeners.get(type) ?? [])]) {
      try { listener(event); } catch (e) { queueMicrotask(() => { throw e; }); }
    }
  }

  // ---- connection ----

  /** Connects and resolves once the server said hello. Reconnects by itself until close(). */
  async connect() {
    if (this.status === 'closed') throw new Error('This NotifyDevice was closed; make a new one.');
    if (this.status === 'idle') {
      this.status = 'connecting';
      if (this.options.sensors) this._sensors = createSensors(this.options.env ?? globalThis, (s) => this.reportState(s), this.options);
      this._open();
    }
    if (this.status === 'open') return;
    await this.next('hello');
  }

  /** Closes the connection for good and stops the sensors. */
  close() {
    if (this.status === 'closed') return;
    this.status = 'closed';
    this._sensors?.stop();
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    this._teardown?.();
    this._emit('close', { reason: 'closed by the app' });
  }

  _later(ms, fn) {
    const t = setTimeout(() => { this._timers.delete(t); fn(); }, ms);
    this._timers.add(t);
    return t;
  }

  _useWebSocket() {
    if (this.options.transport === 'sse') return false;
    if (this.options.transport === 'websocket') return true;
    if (this._noWebSocket) return false; // no implementation: trying again cannot help
    return this._wsFailures < 2; // two WebSockets in a row that never said hello: a proxy eats them, use SSE
  }

  /** Why the next connection uses the transport it does (the 'transport' event carries it). */
  _whyTransport(useWebSocket) {
    if (useWebSocket) return this.options.transport === 'websocket' ? "transport: 'websocket' was asked for" : 'WebSocket is available';
    if (this.options.transport === 'sse') return "transport: 'sse' was asked for";
    if (this._noWebSocket) return this._noWebSocket;
    return 'two WebSockets in a row closed before the server said hello (a proxy may be blocking them)';
  }

  _open() {
    if (this.status === 'closed') return;
    const useWebSocket = this._useWebSocket();
    this._transportReason = this._whyTransport(useWebSocket);
    const connection = useWebSocket ? this._openWebSocket() : this._openEventStream();
    connection.catch((error) => this._lost(error));
  }

  /** The WebSocket class to use: the option, the runtime's own, else the 'ws' package (Node before 22). */
  async _webSocketClass() {
    const Native = this.options.WebSocket ?? globalThis.WebSocket;
    if (Native) return { Native };
    try {
      return { NodeWebSocket: (await import('ws')).default };
    } catch (error) {
      return { missing: `this runtime has no WebSocket and the 'ws' package did not load (${error.code ?? error.message}): `
        + 'install the SDK with its dependencies (npm install ./src/notify-js, or the tarball from npm pack)' };
    }
  }

  /** The connection ended or failed: try again after a backoff with jitter, unless the token is refused. */
  _lost(error, helloSeen) {
    if (this.status === 'closed') return;
    this._teardown = null;
    if (error instanceof NotifyAuthError || error instanceof NotifyTransportError) {
      this._emit('error', { error, fatal: true });
      this.close();
      return;
    }
    if (!helloSeen && this.transport === 'websocket') this._wsFailures++;
    const { initial, max, factor, jitter } = this.options.backoff;
    const base = Math.min(max, initial * factor ** this._attempt++);
    const delay = Math.round(base * (1 - jitter * Math.random()));
    const wasOpen = this.status === 'open';
    this.status = 'connecting';
    if (wasOpen || error) this._emit('disconnect', { error, retryIn: delay });
    this._later(delay, () => this._open());
  }

  async _openWebSocket() {
    this.transport = 'websocket';
    const url = new URL(this.baseUrl + '/v1/realtime');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let socket;
    let settled = false;
    const { Native, NodeWebSocket, missing } = await this._webSocketClass();
    if (missing) {
      if (this.options.transport === 'websocket') throw new NotifyTransportError(missing);
      // Straight to SSE, not after two failed attempts and their backoff.
      this._noWebSocket = missing;
      this._transportReason = missing;
      return this._openEventStream();
    }
    if (Native) {
      // Browsers cannot set headers on a WebSocket; the server accepts the token in the query here only.
      url.searchParams.set('access_token', this.options.token);
      socket = new Native(url);
    } else {
      socket = new NodeWebSocket(url, { headers: { Authorization: `Bearer ${this.options.token}` } });
      // Node can see why an upgrade was refused (a browser cannot): a refused token is final.
      socket.on('unexpected-response', (req, res) => {
        const status = res.statusCode;
        res.resume();
        req.destroy();
        settled = true;
        this._lost([401, 403, 404].includes(status) ? new NotifyAuthError(status) : new Error(`The WebSocket upgrade answered ${status}.`));
      });
      socket.on('error', () => {}); // close follows
    }
    if (this.status === 'closed') { socket.close(); return; }
    let helloSeen = false;
    let ping = null;
    const send = (message) => { if (socket.readyState === 1) socket.send(JSON.stringify(message)); };
    this._send = send;
    this._teardown = () => { clearInterval(ping); socket.close(1000, 'bye'); };
    socket.onmessage = (e) => {
      const message = JSON.parse(typeof e.data === 'string' ? e.data : e.data.toString());
      if (message.type === 'hello') {
        helloSeen = true;
        ping = setInterval(() => send({ type: 'ping' }), this.options.pingInterval);
      }
      this._receive(message, null);
    };
    socket.onclose = (e) => {
      clearInterval(ping);
      this._send = null;
      if (settled) return;
      settled = true;
      this._lost(helloSeen ? null : new Error(`WebSocket closed (${e.code}${e.reason ? ' ' + e.reason : ''})`), helloSeen);
    };
    socket.onerror = () => {}; // onclose follows and decides
  }

  async _openEventStream() {
    this.transport = 'sse';
    const abort = new AbortController();
    this._teardown = () => abort.abort();
    this._send = null;
    const headers = { Authorization: `Bearer ${this.options.token}`, Accept: 'text/event-stream' };
    if (this._lastEventId) headers['Last-Event-ID'] = this._lastEventId;
    let helloSeen = false;
    try {
      const response = await this._fetch(this.baseUrl + '/v1/realtime/events', { headers, signal: abort.signal });
      if ([401, 403, 404].includes(response.status)) throw new NotifyAuthError(response.status, await response.json().catch(() => null));
      if (!response.ok) throw new Error(`The event stream answered ${response.status}.`);
      for await (const event of readEvents(response.body)) {
        const message = JSON.parse(event.data);
        if (message.type === 'hello') helloSeen = true;
        this._receive(message, event.id);
      }
      this._lost(helloSeen ? null : new Error('The event stream ended before hello.'), helloSeen);
    } catch (error) {
      if (this.status === 'closed') return;
      if (error instanceof NotifyAuthError) throw error;
      this._lost(error, helloSeen);
    }
  }

  // ---- messages from the server ----

  _receive(message, eventId) {
    switch (message.type) {
      case 'hello':
        this.deviceId = message.deviceId;
        this.status = 'open';
        this._attempt = 0;
        this._wsFailures = 0;
        this._announceTransport();
        this._emit('hello', { deviceId: message.deviceId, serverTime: message.serverTime, transport: this.transport });
        this._flushState(true);
        break;
      case 'notification': {
        if (eventId) this._lastEventId = eventId;
        const n = message.notification;
        if (Date.parse(n.expiresAt) <= Date.now()) break; // never show a notification late
        const known = this.notifications.get(n.id);
        // A reconnect re-sends what is still open (de-duplicated here); a repeat has the same id and alerts again.
        if (known && (n.repeat ?? 0) <= (known.repeat ?? 0)) break;
        this.notifications.set(n.id, n);
        this._scheduleExpiry(n);
        this._emit('notification', { notification: n, repeat: n.repeat ?? 0 });
        if (this.options.show) this._show(n);
        break;
      }
      case 'clear':
        this._forget(message.notificationId, message.reason);
        break;
      case 'error':
        this._emit('error', { error: Object.assign(new Error(message.message), { code: message.code }), fatal: false });
        break;
      default:
        break; // pong, and message types this version does not know
    }
  }

  /** Emits 'transport' when the transport in use changes, and warns once when it is SSE though WebSocket was wanted. */
  _announceTransport() {
    if (this._announced === this.transport) return;
    this._announced = this.transport;
    const reason = this._transportReason;
    this._emit('transport', { transport: this.transport, reason });
    if (this.transport === 'sse' && this.options.transport !== 'sse' && !this._warned) {
      this._warned = true;
      (this.options.logger ?? console).warn(`Notify: using Server-Sent Events, not WebSocket: ${reason}.`);
    }
  }

  _scheduleExpiry(n) {
    clearTimeout(this._expiry.get(n.id));
    const ms = Math.max(0, Date.parse(n.expiresAt) - Date.now());
    if (ms < 2 ** 31) this._expiry.set(n.id, this._later(ms, () => this._forget(n.id, 'expired')));
  }

  _forget(id, reason) {
    clearTimeout(this._expiry.get(id));
    this._expiry.delete(id);
    const n = this.notifications.get(id);
    if (!n) return;
    this.notifications.delete(id);
    this._shown?.get(id)?.close();
    this._shown?.delete(id);
    this._emit('clear', { notificationId: id, reason, notification: n });
  }

  // ---- what the device says ----

  /** Acknowledges a notification: the user saw, opened or dismissed it. Other devices get it cleared. */
  async ack(notificationId, action = 'seen') {
    if (!['seen', 'opened', 'dismissed'].includes(action)) throw new TypeError(`action is seen, opened or dismissed, not '${action}'.`);
    const n = this.notifications.get(notificationId);
    if (this._send) this._send({ type: 'ack', notificationId, action });
    else {
      const response = await this._fetch(`${this.baseUrl}/v1/notifications/${encodeURIComponent(notificationId)}/ack`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.options.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ action }),
      });
      if (!response.ok) throw new Error(`ack answered ${response.status}: ${await response.text()}`);
    }
    if (n) this._forget(notificationId, action);
  }

  /**
   * Reports part of the device's state (presence, foreground, battery, connectivity, location). Only what
   * changed since the last report is sent; while disconnected the latest values wait and go on connect.
   */
  async reportState(partial) {
    for (const [key, value] of Object.entries(partial)) {
      if (value === undefined) continue;
      if (JSON.stringify(this._lastState[key]) !== JSON.stringify(value)) this._pending[key] = value;
    }
    this._emit('state', { state: { ...this._lastState, ...this._pending } });
    await this._flushState(false);
  }

  async _flushState(resend) {
    if (resend) this._pending = { ...this._lastState, ...this._pending }; // the server may have restarted
    if (this.status !== 'open' || Object.keys(this._pending).length === 0) return;
    const report = this._pending;
    this._pending = {};
    Object.assign(this._lastState, report);
    if (this._send) {
      this._send({ type: 'state', ...report });
      return;
    }
    const response = await this._fetch(`${this.baseUrl}/v1/devices/${encodeURIComponent(this.deviceId)}/state`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.options.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(report),
    });
    if (!response.ok) this._emit('error', { error: new Error(`state report answered ${response.status}: ${await response.text()}`), fatal: false });
  }

  // ---- showing ----

  /** Shows a notification with the Web Notifications API when the page has permission; a click opens it. */
  _show(n) {
    const Native = this.options.env?.Notification ?? globalThis.Notification;
    if (!Native || Native.permission !== 'granted') return;
    const shown = new Native(n.title ?? n.category, { body: n.body ?? '', tag: n.id, silent: n.silent === true, data: n.data });
    shown.onclick = () => { this.ack(n.id, 'opened').catch(() => {}); };
    (this._shown ??= new Map()).set(n.id, shown);
  }
}
