// A decision trace as a tree: the rule, then each step with every device taken or passed over and why.
import { h, timeInZone } from './ui.js';

const kind = (message, taken) =>
  /passed over/i.test(message) ? 'passed'
  : taken || /ranks best|has the user's attention|sent to|every device/i.test(message) ? 'taken'
    : /passed over|not configured|is false|no device/i.test(message) ? 'passed'
      : /skipped/i.test(message) ? 'skipped'
        : /held|defer|quiet hours/i.test(message) ? 'held'
          : 'info';

const label = { taken: 'taken', passed: 'passed over', skipped: 'skipped', held: 'held', info: '' };

function leaf(entry, withTime, taken, timeZone) {
  const k = kind(entry.message, entry.deviceId && taken.has(entry.deviceId));
  return h('li', { class: k, 'data-kind': k },
    label[k] ? h('span', { class: 'visually-hidden sr-kind' }, `${label[k]}: `) : null,
    withTime ? h('time', { class: 'muted small', datetime: entry.at }, timeZone ? timeInZone(entry.at, timeZone) : new Date(entry.at).toLocaleTimeString(), ' ') : null,
    entry.kind ? h('span', { class: 'kind', 'data-trace-kind': entry.kind }, entry.kind, ' ') : null,
    entry.message);
}

/**
 * Renders trace entries: lines without a step at the top, each step's lines under a "Step n" branch.
 * takenDevices: device ids the decision (or a delivery) went to, so their lines read as taken.
 * timeZone: show times in this IANA zone (the user's, as quiet hours are) rather than the browser's.
 * An entry's own `kind`, when the server gives one, is shown before its message.
 */
export function traceTree(trace, { withTime = false, takenDevices = [], timeZone = null } = {}) {
  const taken = new Set(takenDevices);
  const root = h('ul');
  let current = null;
  let currentStep = null;
  for (const entry of trace) {
    if (entry.step === undefined || entry.step === null) {
      root.append(leaf(entry, withTime, taken, timeZone));
      current = null;
      currentStep = null;
      continue;
    }
    if (entry.step !== currentStep || !current) {
      currentStep = entry.step;
      current = h('ul');
      root.append(h('li', {}, h('details', { open: true }, h('summary', {}, `Step ${entry.step + 1}`), current)));
    }
    current.append(leaf(entry, withTime, taken, timeZone));
  }
  return h('div', { class: 'trace' }, root);
}
