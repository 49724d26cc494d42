// The browser sensors against a stand-in page: no server, no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSensors } from '../src/index.js';

function fakePage({ battery, connection } = {}) {
  const env = new EventTarget();
  env.document = new EventTarget();
  env.document.visibilityState = 'visible';
  env.document.hasFocus = () => true;
  env.navigator = { onLine: true, connection, getBattery: battery ? async () => battery : undefined };
  return env;
}

test('createSensors_PageHiddenAndShown_ReportsAwayThenActive', () => {
  const env = fakePage();
  const reports = [];
  const sensors = createSensors(env, (s) => reports.push(s), { idleAfter: 60_000 });

  env.document.visibilityState = 'hidden';
  env.document.dispatchEvent(new Event('visibilitychange'));
  env.document.visibilityState = 'visible';
  env.document.dispatchEvent(new Event('visibilitychange'));
  sensors.stop();

  assert.deepEqual(reports, [
    { presence: 'active', foreground: true },
    { presence: 'away', foreground: false },
    { presence: 'active', foreground: true },
  ]);
});

test('createSensors_WindowBlurred_ReportsIdleAndInputAfterFocusMakesActive', () => {
  const env = fakePage();
  const reports = [];
  const sensors = createSensors(env, (s) => reports.push(s));

  env.dispatchEvent(new Event('blur'));
  env.dispatchEvent(new Event('focus'));
  sensors.stop();

  assert.deepEqual(reports.map((r) => r.presence), ['active', 'idle', 'active']);
});

test('createSensors_OfflineAndCellular_ReportsConnectivity', () => {
  const connection = Object.assign(new EventTarget(), { type: 'cellular', saveData: false });
  const env = fakePage({ connection });
  const reports = [];
  const sensors = createSensors(env, (s) => reports.push(s));

  env.navigator.onLine = false;
  env.dispatchEvent(new Event('offline'));
  sensors.stop();

  const connectivity = reports.filter((r) => r.connectivity).map((r) => r.connectivity);
  assert.deepEqual(connectivity, [{ type: 'cellular', metered: true }, { type: 'none' }]);
});

test('createSensors_BatteryApi_ReportsLevelAndChargingChanges', async () => {
  const battery = Object.assign(new EventTarget(), { level: 0.426, charging: false });
  const env = fakePage({ battery });
  const reports = [];
  const sensors = createSensors(env, (s) => reports.push(s));
  await env.navigator.getBattery(); // the sensors' own then() runs after this one resolves
  await Promise.resolve();

  battery.charging = true;
  battery.dispatchEvent(new Event('chargingchange'));
  sensors.stop();

  assert.deepEqual(reports.filter((r) => r.battery).map((r) => r.battery), [{ level: 0.43, charging: false }, { level: 0.43, charging: true }]);
});

test('createSensors_NoDocument_WatchesNothing', () => {
  const reports = [];
  const sensors = createSensors({}, (s) => reports.push(s));
  sensors.stop();
  assert.deepEqual(reports, []);
  assert.equal(sensors.presence(), undefined);
});

test('createSensors_KeepsBeingUsed_ReportsActiveAgainEveryActiveEvery', () => {
  const env = fakePage();
  const quick = [];
  const sensorsQuick = createSensors(env, (s) => quick.push(s)); // default: again after a minute, so not for two quick inputs
  env.dispatchEvent(new Event('keydown'));
  env.dispatchEvent(new Event('keydown'));
  sensorsQuick.stop();
  assert.deepEqual(quick.map((r) => r.presence), ['active']);

  const every = [];
  const sensorsEvery = createSensors(env, (s) => every.push(s), { activeEvery: 0 }); // every input counts as "a minute later"
  env.dispatchEvent(new Event('keydown'));
  env.dispatchEvent(new Event('pointermove'));
  sensorsEvery.stop();
  assert.deepEqual(every.map((r) => r.presence), ['active', 'active', 'active']);
});
