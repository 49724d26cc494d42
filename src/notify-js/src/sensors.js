// What a browser can tell about the device, turned into the server's state fields (docs/api.md section 4):
// presence from Page Visibility, focus and input (idle after a while without any), battery from the Battery
// Status API where present, connectivity from navigator.connection and online/offline, and location only when
// the app opts in. In Node (no document) nothing is watched; the app reports state itself.

const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'];

/**
 * Starts watching and calls report(partialState) whenever a watched value changes.
 * @param env the global object (window), or a stand-in with document, navigator and addEventListener
 * @returns {{ stop(): void, presence(): string }}
 */
export function createSensors(env, report, options = {}) {
  const document = env.document;
  const navigator = env.navigator;
  const stops = [];
  const listen = (target, type, fn) => {
    target?.addEventListener?.(type, fn, { passive: true });
    stops.push(() => target?.removeEventListener?.(type, fn));
  };
  if (!document) return { stop() {}, presence: () => undefined };

  const idleAfter = options.idleAfter ?? 60_000;
  let lastInput = Date.now();
  let idleTimer = null;
  let focused = typeof document.hasFocus === 'function' ? document.hasFocus() : true;

  const presence = () => {
    if (document.visibilityState === 'hidden') return 'away';
    return focused && Date.now() - lastInput < idleAfter ? 'active' : 'idle';
  };
  // While the user keeps using the device, "active" is reported again every activeEvery ms (default a minute): the
  // server counts an "active" not refreshed for a few minutes (Delivery:PresenceStaleAfter) as idle.
  const activeEvery = options.activeEvery ?? 60_000;
  let lastActiveReport = 0;
  const sendPresence = () => {
    const now = presence();
    if (now === 'active') lastActiveReport = Date.now();
    report({ presence: now, foreground: document.visibilityState !== 'hidden' });
  };
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(sendPresence, idleAfter + 50);
  };

  listen(document, 'visibilitychange', sendPresence);
  listen(env, 'focus', () => { focused = true; lastInput = Date.now(); sendPresence(); armIdle(); });
  listen(env, 'blur', () => { focused = false; sendPresence(); });
  for (const type of INPUT_EVENTS) {
    listen(env, type, () => {
      const wasIdle = presence() !== 'active';
      lastInput = Date.now();
      if (wasIdle || Date.now() - lastActiveReport >= activeEvery) sendPresence();
      armIdle();
    });
  }
  stops.push(() => clearTimeout(idleTimer));
  sendPresence();
  armIdle();

  // Connectivity: navigator.connection.type where the browser tells it (Android Chrome); offline always wins.
  const connection = navigator?.connection;
  const sendConnectivity = () => {
    if (navigator?.onLine === false) return report({ connectivity: { type: 'none' } });
    const type = connection?.type;
    if (['wifi', 'cellular', 'ethernet', 'none'].includes(type))
      report({ connectivity: { type, metered: type === 'cellular' || connection.saveData === true } });
  };
  listen(env, 'online', sendConnectivity);
  listen(env, 'offline', sendConnectivity);
  listen(connection, 'change', sendConnectivity);
  sendConnectivity();

  // Battery: a promise in Chromium, absent in Firefox and Safari.
  let stopped = false;
  navigator?.getBattery?.().then((battery) => {
    if (stopped) return;
    const sendBattery = () => report({ battery: { level: Math.round(battery.level * 100) / 100, charging: battery.charging } });
    listen(battery, 'levelchange', sendBattery);
    listen(battery, 'chargingchange', sendBattery);
    sendBattery();
  }).catch(() => {});

  // Location: only when the app asked for it, and then only what the user allows.
  if (options.location && navigator?.geolocation) {
    const watch = navigator.geolocation.watchPosition(
      (p) => report({ location: { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy } }),
      () => {},
      { maximumAge: 60_000 });
    stops.push(() => navigator.geolocation.clearWatch(watch));
  }

  return {
    presence,
    stop() {
      stopped = true;
      for (const stop of stops) stop();
    },
  };
}
