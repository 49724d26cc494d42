// The SDK against the real server: both transports, acks, state, resume after a drop, refused tokens.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NotifyDevice, NotifyAuthError } from '../src/index.js';
import { readEvents } from '../src/sse.js';
import { startServer, skipReason } from '../support/server.js';

const skip = skipReason();
if (skip) console.log(`# skipped: ${skip}`);

describe('NotifyDevice against the real server', { skip, timeout: 120_000 }, () => {
  let server;
  const devices = [];
  const open = (options) => {
    const device = new NotifyDevice({ baseUrl: server.baseUrl, sensors: false, ...options });
    devices.push(device);
    return device;
  };

  before(async () => { server = await startServer(); });
  after(async () => {
    for (const d of devices) d.close();
    await server?.stop();
  });

  for (const transport of ['websocket', 'sse']) {
    test(`connect_${transport}_ReceivesNotificationAndAckMakesItSeen`, async () => {
      const user = `ana-${transport}`;
      const { deviceId, token } = await server.device(user);
      const device = open({ token, transport });

      await device.connect();
      assert.equal(device.deviceId, deviceId);
      assert.equal(device.transport, transport);
      const arrived = device.next('notification');
      const { notificationId, status } = await server.notify(user, 'Rui mentioned you');
      const { notification } = await arrived;

      assert.equal(status, 'delivered');
      assert.equal(notification.id, notificationId);
      assert.equal(notification.title, 'Rui mentioned you');
      assert.ok(device.notifications.has(notificationId));

      await device.ack(notificationId, 'seen');
      assert.equal(device.notifications.has(notificationId), false);
      // Over WebSocket the ack has no reply; the server handles a connection's messages in order, so a
      // state report sent after it and seen on the watch stream means the ack was applied.
      if (transport === 'websocket') {
        await device.reportState({ presence: 'idle' });
        await watchUntil(server, user, (d) => d.state.presence === 'idle');
      }
      const stored = await server.call('GET', `/v1/notifications/${notificationId}`);
      assert.equal(stored.status, 'seen');
    });
  }

  test('reportState_OverWebSocket_ServerShowsPresenceBatteryConnectivity', async () => {
    const { token } = await server.device('bea');
    const device = open({ token });
    await device.connect();

    await device.reportState({ presence: 'active', foreground: true, battery: { level: 0.42, charging: true }, connectivity: { type: 'wifi' } });
    const seen = await watchUntil(server, 'bea', (d) => d.state.presence === 'active');

    assert.equal(seen.state.online, true);
    assert.deepEqual(seen.state.battery, { level: 0.42, charging: true, lowPower: false });
    assert.equal(seen.state.connectivity.type, 'wifi');
  });

  test('reconnect_NotificationSentWhileDisconnected_ArrivesOnceAfterResume', async () => {
    for (const transport of ['websocket', 'sse']) {
      const user = `cleo-${transport}`;
      const { token } = await server.device(user);
      const device = open({ token, transport, backoff: { initial: 20, max: 200 } });
      await device.connect();
      const first = device.next('notification');
      await server.notify(user, 'before the drop');
      await first;

      const dropped = device.next('disconnect');
      device._teardown(); // the network drops the connection
      await dropped;
      const received = [];
      device.on('notification', (e) => received.push(e.notification.title));
      const resumed = device.next('hello');
      const { notificationId } = await server.notify(user, 'while away');
      await resumed;
      // The server re-sends what is open after hello; a report and its echo on the watch stream come after it.
      await device.reportState({ presence: 'idle' });
      await watchUntil(server, user, (d) => d.state.presence === 'idle');
      if (!received.includes('while away')) await device.next('notification');

      assert.deepEqual(received, ['while away'], `${transport}: 'before the drop' is not shown twice and nothing is lost`);
      assert.ok(device.notifications.has(notificationId));
    }
  });

  test('connect_RevokedToken_RejectsWithAuthErrorAndStops', async () => {
    for (const transport of ['websocket', 'sse']) {
      const { deviceId, token } = await server.device('dan');
      await server.call('DELETE', `/v1/devices/${deviceId}`);
      const device = open({ token, transport, backoff: { initial: 10, max: 20 } });

      await assert.rejects(device.connect(), (e) => e instanceof NotifyAuthError && e.status === 401, transport);
      assert.equal(device.status, 'closed');
    }
  });

  test('auto_WebSocketUnavailable_FallsBackToServerSentEvents', async () => {
    const { token } = await server.device('eve');
    class Refused {
      constructor() { setTimeout(() => this.onclose?.({ code: 1006, reason: '' }), 0); }
      close() {}
    }
    const warnings = [];
    const device = open({ token, WebSocket: Refused, backoff: { initial: 5, max: 10 }, logger: { warn: (m) => warnings.push(m) } });

    const hello = device.next('hello');
    const chosen = device.next('transport');
    await device.connect();

    assert.equal((await hello).transport, 'sse');
    assert.equal((await chosen).transport, 'sse');
    assert.match((await chosen).reason, /two WebSockets in a row closed before the server said hello/);
    assert.equal(warnings.length, 1);
  });

  test('connect_WebSocket_TransportEventSaysWebSocketAndNothingIsLogged', async () => {
    const { token } = await server.device('fay');
    const warnings = [];
    const device = open({ token, logger: { warn: (m) => warnings.push(m) } });

    const chosen = device.next('transport');
    await device.connect();

    assert.deepEqual(await chosen, { transport: 'websocket', reason: 'WebSocket is available' });
    assert.deepEqual(warnings, []);
  });

  // The SDK's folder copied without node_modules, as when it is installed without its dependencies.
  test('auto_WsPackageMissing_ServerSentEventsAtOnceWithTransportEventAndOneWarning',
    { skip: globalThis.WebSocket ? 'this Node has a built-in WebSocket, so the ws package is never needed' : false }, async () => {
      const bare = mkdtempSync(join(tmpdir(), 'notify-js-bare-'));
      try {
        cpSync(new URL('../src', import.meta.url), join(bare, 'src'), { recursive: true });
        const { NotifyDevice: BareDevice } = await import(pathToFileURL(join(bare, 'src', 'index.js')).href);
        const { token } = await server.device('gus');
        const warnings = [];
        const disconnects = [];
        const device = new BareDevice({ baseUrl: server.baseUrl, token, sensors: false, logger: { warn: (m) => warnings.push(m) } });
        devices.push(device);
        device.on('disconnect', (e) => disconnects.push(e));

        const chosen = device.next('transport');
        await device.connect();

        assert.equal(device.transport, 'sse');
        const { transport, reason } = await chosen;
        assert.equal(transport, 'sse');
        assert.match(reason, /'ws' package did not load/);
        assert.match(reason, /npm install \.\/src\/notify-js/);
        assert.deepEqual(disconnects, [], 'no failed WebSocket attempts (and their backoff) before SSE');
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /^Notify: using Server-Sent Events, not WebSocket: /);
      } finally {
        rmSync(bare, { recursive: true, force: true });
      }
    });

  test('reconnect_ServerUnreachable_BacksOffWithJitterUpToTheMax', async () => {
    const device = new NotifyDevice({ baseUrl: 'http://127.0.0.1:9', token: 'ndt_x', sensors: false, transport: 'sse',
      backoff: { initial: 10, max: 40, factor: 2, jitter: 0.5 } });
    devices.push(device);
    const delays = [];
    const done = new Promise((resolve) => device.on('disconnect', (e) => { delays.push(e.retryIn); if (delays.length === 5) resolve(); }));

    device.connect().catch(() => {});
    await done;
    device.close();

    const bases = [10, 20, 40, 40, 40];
    delays.forEach((d, i) => assert.ok(d >= bases[i] / 2 && d <= bases[i], `attempt ${i}: ${d} ms within [${bases[i] / 2}, ${bases[i]}]`));
  });
});

/** Watches the user's devices on the console's SSE endpoint until one matches; returns it. */
async function watchUntil(server, userId, match) {
  const abort = new AbortController();
  const timeout = setTimeout(() => abort.abort(), 20_000); // a deadline, not a wait
  try {
    const response = await fetch(`${server.baseUrl}/v1/users/${userId}/devices/events`, {
      headers: { Authorization: `Bearer ${server.appKey}` }, signal: abort.signal,
    });
    assert.equal(response.status, 200);
    for await (const event of readEvents(response.body)) {
      const message = JSON.parse(event.data);
      const list = message.type === 'devices' ? message.devices : message.type === 'device' ? [message.device] : [];
      const found = list.find(match);
      if (found) return found;
    }
    throw new Error('the watch stream ended');
  } finally {
    clearTimeout(timeout);
    abort.abort();
  }
}
