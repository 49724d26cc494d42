// The simulator: what notify would decide for a user (stored, or described inline) at a given time, and why.
import { api, session, withApp } from './api.js';
import { h, errorBox } from './ui.js';
import { traceTree } from './trace.js';

const EXAMPLE_DEVICES = JSON.stringify([
  { id: 'laptop', platform: 'desktop', state: { online: true, presence: 'idle' } },
  { id: 'phone', platform: 'ios', state: { online: true, presence: 'active', battery: { level: 0.8, charging: false }, connectivity: { type: 'wifi' } } },
], null, 2);

const pad = (n) => String(n).padStart(2, '0');
const localInput = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

export async function simulatePage() {
  if (session.role !== 'admin') return h('p', { class: 'error' }, 'The simulator needs an admin key: sign in with one.');
  const { users } = await api('GET', '/v1/users?limit=200');
  const who = h('select', { id: 'sim-user' },
    h('option', { value: '' }, 'Describe a user and devices inline'),
    ...users.map((u) => h('option', { value: `${u.appId}\n${u.id}` }, `${u.id} (${u.appId})`)));
  const inline = h('div', { id: 'sim-inline' },
    h('div', { class: 'row' }, h('div', {}, h('label', { for: 'sim-zone' }, 'Time zone'), h('input', { type: 'text', id: 'sim-zone', value: 'Europe/Lisbon' })),
      h('div', {}, h('label', { for: 'sim-app' }, 'App'), h('input', { type: 'text', id: 'sim-app', value: users[0]?.appId ?? 'default', size: 10 }))),
    h('label', { for: 'sim-quiet' }, 'Quiet hours (JSON, optional)'),
    h('textarea', { id: 'sim-quiet', rows: 2, cols: 60 }, '{"windows":[{"days":["daily"],"from":"22:00","to":"07:00"}]}'),
    h('label', { for: 'sim-devices' }, 'Devices (JSON)'),
    h('textarea', { id: 'sim-devices', rows: 8, cols: 60 }, EXAMPLE_DEVICES));
  who.addEventListener('change', () => { inline.hidden = who.value !== ''; });
  const field = (id, text, input) => h('div', {}, h('label', { for: id }, text), input);
  const category = h('input', { type: 'text', id: 'sim-category', value: 'mention', required: true });
  const priority = h('select', { id: 'sim-priority' }, ...['', 'low', 'normal', 'high', 'critical'].map((p) => h('option', { value: p }, p || "rule's default")));
  const title = h('input', { type: 'text', id: 'sim-title', value: 'Rui mentioned you' });
  const at = h('input', { type: 'datetime-local', id: 'sim-at', value: localInput(new Date()) });
  const step = h('input', { type: 'number', id: 'sim-step', min: 1, value: 1, class: 'narrow-number' });
  const result = h('div', { id: 'sim-result', 'aria-live': 'polite' });

  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    result.replaceChildren(h('p', { class: 'muted' }, 'Deciding…'));
    const body = { category: category.value.trim(), title: title.value || undefined, step: Number(step.value) || 1,
      at: at.value ? new Date(at.value).toISOString() : undefined };
    if (priority.value) body.priority = priority.value;
    let appId;
    try {
      if (who.value) {
        [appId, body.userId] = who.value.split('\n');
      } else {
        appId = document.getElementById('sim-app').value.trim();
        const quiet = document.getElementById('sim-quiet').value.trim();
        body.user = { timeZone: document.getElementById('sim-zone').value.trim(), ...(quiet ? { quietHours: JSON.parse(quiet) } : {}) };
        body.devices = JSON.parse(document.getElementById('sim-devices').value);
      }
    } catch (error) {
      result.replaceChildren(errorBox(new Error(`The JSON is not valid: ${error.message}`)));
      return;
    }
    try {
      const answer = await api('POST', withApp('/v1/simulate', appId), body);
      result.replaceChildren(decision(answer));
    } catch (error) {
      result.replaceChildren(errorBox(error), error.errors ? h('ul', {}, Object.entries(error.errors).map(([k, v]) => h('li', {}, `${k}: ${v.join(' ')}`))) : '');
    }
  } },
  h('div', { class: 'row' }, field('sim-user', 'User', who)),
  inline,
  h('div', { class: 'row' }, field('sim-category', 'Category', category), field('sim-priority', 'Priority', priority), field('sim-title', 'Title', title)),
  h('div', { class: 'row' }, field('sim-at', 'At (your local time)', at), field('sim-step', 'From step', step)),
  h('button', { type: 'submit', id: 'sim-run' }, 'Simulate'));
  return h('section', {}, h('h1', {}, 'Simulator'),
    h('p', { class: 'muted' }, 'Nothing is sent or stored: this shows what a notify call would decide, and why.'), form, result);
}

function decision(answer) {
  const d = answer.decision ?? {};
  const cls = { delivered: 'ok', scheduled: 'warn', held: 'warn', suppressed: 'bad', failed: 'bad' }[answer.status] ?? '';
  return h('div', { class: 'card', id: 'sim-decision' },
    h('h2', {}, 'Decision ', h('span', { class: `badge ${cls}`, id: 'sim-status' }, answer.status)),
    h('div', { class: 'device' }, h('dl', {},
      h('dt', {}, 'Rule'), h('dd', {}, `${answer.rule} (version ${answer.ruleVersion})`),
      d.deviceId ? [h('dt', {}, 'Device'), h('dd', {}, d.deviceId)] : null,
      d.channel ? [h('dt', {}, 'Channel'), h('dd', {}, d.channel)] : null,
      d.deliverAt ? [h('dt', {}, 'Deliver at'), h('dd', {}, new Date(d.deliverAt).toLocaleString())] : null,
      h('dt', {}, 'Why'), h('dd', {}, d.reason ?? ''))),
    h('h2', {}, 'Trace'), traceTree(answer.trace, { takenDevices: d.deviceId ? [d.deviceId] : [] }));
}
