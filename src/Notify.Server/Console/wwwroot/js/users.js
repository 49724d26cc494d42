// Users: the list, and one user's page (live devices, quiet hours, preferences, recent notifications).
import { api, withApp, stream, session } from './api.js';
import { h, ago, inZone, dateTimeInZone, timeInZone, toast, errorBox } from './ui.js';
import { traceTree } from './trace.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const PRIORITIES = ['low', 'normal', 'high', 'critical'];
const CHANNELS = ['inApp', 'push', 'email'];
const userPath = (appId, id, rest = '') => withApp(`/v1/users/${encodeURIComponent(id)}${rest}`, appId);

export async function usersPage() {
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'More');
  const filter = h('input', { type: 'text', id: 'user-filter', placeholder: 'id or email' });
  let next = null;
  const load = async () => {
    const page = await api('GET', '/v1/users?limit=100' + (next ? '&cursor=' + encodeURIComponent(next) : ''));
    for (const u of page.users) {
      body.append(h('tr', { 'data-search': `${u.id} ${u.email ?? ''}`.toLowerCase() },
        h('td', {}, h('a', { href: `#/users/${encodeURIComponent(u.appId)}/${encodeURIComponent(u.id)}` }, u.id)),
        session.role === 'admin' ? h('td', {}, u.appId) : null,
        h('td', { class: 'hide-narrow' }, u.email ?? ''), h('td', {}, u.timeZone)));
    }
    next = page.next ?? null;
    more.hidden = !next;
  };
  more.addEventListener('click', load);
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const row of body.rows) row.hidden = q !== '' && !row.dataset.search.includes(q);
  });
  await load();
  return h('section', {}, h('h1', {}, 'Users'),
    h('div', { class: 'card' },
      h('div', { class: 'row' }, h('div', {}, h('label', { for: 'user-filter' }, 'Filter'), filter)),
      body.rows.length === 0 ? h('p', { class: 'muted' }, 'No users yet. Apps create them with PUT /v1/users/{id}.') : null,
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'User'), session.role === 'admin' ? h('th', {}, 'App') : null,
          h('th', { class: 'hide-narrow' }, 'Email'), h('th', {}, 'Time zone'))), body)),
      more));
}

export async function userPage(appId, userId) {
  const [user, quiet, prefs, recent, rules] = await Promise.all([
    api('GET', userPath(appId, userId)),
    api('GET', userPath(appId, userId, '/quiet-hours')),
    api('GET', userPath(appId, userId, '/preferences')),
    api('GET', userPath(appId, userId, '/notifications?limit=20')),
    // The categories the rules serve, for the preferences' list (rules need an admin key; an app key offers recent ones).
    session.role === 'admin' ? api('GET', '/v1/rules').catch(() => []) : Promise.resolve([]),
  ]);
  const categories = [...new Set([...rules.flatMap((r) => r.categories), ...recent.notifications.map((n) => n.category)])].sort();
  const devices = devicesSection(appId, user);
  const node = h('section', {},
    h('h1', {}, `User ${user.id}`),
    h('p', { class: 'muted' }, [user.email, `time zone ${user.timeZone}`, user.locale, session.role === 'admin' ? `app ${appId}` : null].filter(Boolean).join(' · ')),
    devices.node,
    quietHoursSection(appId, user, quiet),
    preferencesSection(appId, user, prefs, categories),
    notificationsSection(appId, user, recent, devices.names));
  return { node, leave: devices.leave };
}

// ---- devices, live ----

function devicesSection(appId, user) {
  const list = h('div', { class: 'grid', id: 'devices' });
  const live = h('span', { class: 'badge', id: 'live' }, 'connecting…');
  const byId = new Map(user.devices.map((d) => [d.id, d]));
  const draw = () => list.replaceChildren(...(byId.size ? [...byId.values()].map(deviceCard) : [h('p', { class: 'muted' }, 'No devices registered.')]));
  draw();
  const abort = new AbortController();
  const connect = () => stream(userPath(appId, user.id, '/devices/events'), (m) => {
    if (m.type === 'devices') { byId.clear(); for (const d of m.devices) byId.set(d.id, d); live.textContent = 'live'; live.className = 'badge ok'; }
    else if (m.type === 'device') byId.set(m.device.id, m.device);
    else if (m.type === 'removed') byId.delete(m.deviceId);
    draw();
  }, abort.signal).catch(() => {}).finally(() => {
    if (abort.signal.aborted) return;
    live.textContent = 'reconnecting…';
    live.className = 'badge warn';
    setTimeout(connect, 2000);
  });
  connect();
  const ticker = setInterval(draw, 15_000); // keeps "… ago" current
  const node = h('div', { class: 'card' }, h('h2', {}, 'Devices ', live), list);
  // Device names by id as they are now (a device deleted since keeps the name the page first saw).
  const known = new Map(user.devices.map((d) => [d.id, d.name]));
  const names = (id) => byId.get(id)?.name ?? known.get(id) ?? id;
  return { node, names, leave: () => { abort.abort(); clearInterval(ticker); } };
}

function deviceCard(d) {
  const s = d.state ?? {};
  const battery = s.battery ? `${Math.round(s.battery.level * 100)} %${s.battery.charging ? ' charging' : ''}${s.battery.lowPower ? ' low power' : ''}` : 'unknown';
  const connectivity = s.connectivity ? `${s.connectivity.type}${s.connectivity.metered ? ' (metered)' : ''}` : 'unknown';
  return h('article', { class: 'card device', 'data-device': d.id, 'aria-label': d.name ?? d.id },
    h('h3', {}, d.name ?? d.id, ' ', h('span', { class: `badge ${s.online ? 'ok' : ''}`, 'data-field': 'online' }, s.online ? 'online' : 'offline')),
    h('dl', {},
      h('dt', {}, 'Platform'), h('dd', {}, d.platform),
      // Offline, the last report is history, not the device's presence now.
      h('dt', {}, 'Presence'), h('dd', { 'data-field': 'presence' }, s.online
        ? [s.presence ?? 'unknown', s.foreground ? ' (foreground)' : '']
        : h('span', { class: 'muted' }, 'offline', s.presence && s.presence !== 'unknown' ? ` (last reported ${s.presence})` : '')),
      h('dt', {}, 'Battery'), h('dd', { 'data-field': 'battery' }, battery),
      h('dt', {}, 'Network'), h('dd', { 'data-field': 'connectivity' }, connectivity),
      h('dt', {}, 'Last active'), h('dd', {}, ago(s.lastActiveAt)),
      h('dt', {}, 'Last seen'), h('dd', {}, ago(s.lastSeenAt)),
      h('dt', {}, 'Id'), h('dd', { class: 'small muted' }, d.id)));
}

// ---- quiet hours ----

function quietHoursSection(appId, user, initial) {
  const windows = h('div', { id: 'windows' });
  const status = h('p', { id: 'quiet-status', role: 'status' });
  const errors = h('div', { role: 'alert' });
  const snooze = h('select', { id: 'snooze' },
    h('option', { value: 'keep' }, 'keep as it is'), h('option', { value: 'none' }, 'no snooze'),
    ...[['30m', 30], ['1 h', 60], ['2 h', 120], ['8 h', 480], ['24 h', 1440]].map(([t, m]) => h('option', { value: String(m) }, `for ${t} from now`)));
  const snoozeNow = h('span', { class: 'muted small', id: 'snooze-now' });
  const allow = PRIORITIES.map((p) => h('input', { type: 'checkbox', name: 'allow', value: p, id: `allow-${p}` }));
  let current = initial;

  const addWindow = (w = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '22:00', to: '07:00' }) => {
    const index = windows.children.length;
    const box = h('div', { class: 'window', 'data-window': index },
      h('fieldset', { class: 'days' }, h('legend', {}, `Window ${index + 1}: starts on`),
        ...DAYS.map((day) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', value: day, checked: w.days.includes(day) }), day))),
      h('div', { class: 'row' },
        h('div', {}, h('label', { for: `from-${index}` }, 'From'), h('input', { type: 'time', id: `from-${index}`, name: 'from', value: w.from, required: true })),
        h('div', {}, h('label', { for: `to-${index}` }, 'To'), h('input', { type: 'time', id: `to-${index}`, name: 'to', value: w.to, required: true })),
        h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove window ${index + 1}`, onclick: () => { box.remove(); } }, 'Remove')));
    windows.append(box);
  };

  const show = (q) => {
    current = q;
    windows.replaceChildren();
    for (const w of q.windows) addWindow(w);
    for (const box of allow) box.checked = q.allow.includes(box.value);
    snooze.value = 'keep';
    const snoozed = q.snoozeUntil && Date.parse(q.snoozeUntil) > Date.now();
    snoozeNow.textContent = snoozed ? `Snoozed until ${inZone(q.snoozeUntil, q.timeZone)}` : '';
    status.replaceChildren(q.quietNow
      ? h('span', {}, h('span', { class: 'badge warn' }, 'quiet now'), ` until ${inZone(q.quietUntil, q.timeZone)} (${q.timeZone})`)
      : q.nextStart
        ? h('span', {}, h('span', { class: 'badge' }, 'not quiet'), ` next quiet period ${inZone(q.nextStart, q.timeZone)} – ${inZone(q.nextEnd, q.timeZone)} (${q.timeZone})`)
        : h('span', {}, h('span', { class: 'badge' }, 'not quiet'), ' no quiet period in the next 8 days'));
  };

  const form = h('form', { id: 'quiet-hours', onsubmit: async (e) => {
    e.preventDefault();
    errors.replaceChildren();
    for (const old of form.querySelectorAll('.field-error')) old.remove();
    const body = {
      windows: [...windows.children].map((box) => ({
        days: [...box.querySelectorAll('fieldset input:checked')].map((i) => i.value),
        from: box.querySelector('[name=from]').value,
        to: box.querySelector('[name=to]').value,
      })),
      allow: allow.filter((b) => b.checked).map((b) => b.value),
    };
    // The server stores identical windows as given; saying so here keeps a double click on "Add window" from being saved.
    const seen = new Map();
    let duplicate = false;
    body.windows.forEach((w, i) => {
      const key = JSON.stringify([[...w.days].sort(), w.from, w.to]);
      if (seen.has(key)) {
        duplicate = true;
        windows.children[i].querySelector('fieldset').append(h('span', { class: 'field-error' }, `Window ${i + 1} is the same as window ${seen.get(key) + 1}: remove one.`));
      } else seen.set(key, i);
    });
    if (duplicate) { errors.append(errorBox(new Error('Two windows are the same; nothing was saved.'))); return; }
    if (snooze.value === 'keep') { if (current.snoozeUntil) body.snoozeUntil = current.snoozeUntil; }
    else if (snooze.value !== 'none') body.snoozeUntil = new Date(Date.now() + Number(snooze.value) * 60_000).toISOString();
    try {
      show(await api('PUT', userPath(appId, user.id, '/quiet-hours'), body));
      toast('Quiet hours saved');
    } catch (error) {
      errors.append(errorBox(error));
      // Put each message beside its field: windows[0].from → window 1's "From".
      for (const [path, messages] of Object.entries(error.errors ?? {})) {
        const m = /^windows\[(\d+)\]\.(from|to|days)/.exec(path);
        const box = m && windows.children[Number(m[1])];
        const target = box && (m[2] === 'days' ? box.querySelector('fieldset') : box.querySelector(`[name=${m[2]}]`)?.parentElement);
        (target ?? errors).append(h('span', { class: 'field-error' }, messages.join(' ')));
      }
    }
  } },
  windows,
  h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => addWindow() }, 'Add window')),
  h('div', { class: 'row' },
    h('div', {}, h('label', { for: 'snooze' }, 'Snooze'), snooze, ' ', snoozeNow),
    h('fieldset', { class: 'days' }, h('legend', {}, 'Let through during quiet hours'),
      ...allow.map((box) => h('label', { class: 'inline' }, box, box.value)))),
  errors,
  h('button', { type: 'submit' }, 'Save quiet hours'));
  show(initial);
  return h('div', { class: 'card' }, h('h2', {}, `Quiet hours (${user.timeZone})`), status, form);
}

// ---- preferences ----

function preferencesSection(appId, user, initial, categories) {
  const body = h('tbody');
  const errors = h('div', { role: 'alert' });
  // Offered, not imposed: an app may send categories no rule names (the default rule serves them).
  const offered = h('datalist', { id: 'categories' }, h('option', { value: '*' }, 'every other category'),
    ...categories.map((c) => h('option', { value: c })));
  const addRow = (category = '', p = {}) => {
    const name = h('input', { type: 'text', value: category, 'aria-label': 'Category', placeholder: 'category or *', size: 14, list: 'categories' });
    const row = h('tr', {},
      h('td', {}, name),
      h('td', {}, h('input', { type: 'checkbox', name: 'muted', checked: p.muted === true, 'aria-label': 'Muted' })),
      ...CHANNELS.map((c) => h('td', {}, h('input', { type: 'checkbox', name: c, checked: p.channels?.[c] !== false, 'aria-label': c }))),
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => row.remove() }, 'Remove')));
    body.append(row);
  };
  const show = (prefs) => {
    body.replaceChildren();
    for (const [category, p] of Object.entries(prefs.categories)) addRow(category, p);
  };
  show(initial);
  const form = h('form', { id: 'preferences', onsubmit: async (e) => {
    e.preventDefault();
    errors.replaceChildren();
    const categories = {};
    for (const row of body.rows) {
      const name = row.querySelector('input[type=text]').value.trim();
      if (!name) continue;
      const channels = {};
      for (const c of CHANNELS) if (!row.querySelector(`[name=${c}]`).checked) channels[c] = false;
      categories[name] = { muted: row.querySelector('[name=muted]').checked, ...(Object.keys(channels).length ? { channels } : {}) };
    }
    try {
      show(await api('PUT', userPath(appId, user.id, '/preferences'), { categories }));
      toast('Preferences saved');
    } catch (error) {
      errors.append(errorBox(error));
    }
  } },
  h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Category'), h('th', {}, 'Muted'),
    ...CHANNELS.map((c) => h('th', {}, c)), h('th', {}, ''))), body)),
  h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => addRow() }, 'Add category')),
  errors, h('button', { type: 'submit' }, 'Save preferences'));
  return h('div', { class: 'card' }, h('h2', {}, 'Preferences'),
    h('p', { class: 'muted small' }, 'A category not listed uses "*" if present; a channel left on is allowed.'
      + (categories.length ? ` Categories the rules serve: ${categories.join(', ')}.` : '')), offered, form);
}

// ---- recent notifications ----

function notificationsSection(appId, user, recent, names) {
  const statusClass = (s) => ['seen', 'opened', 'delivered'].includes(s) ? 'ok' : ['failed', 'expired'].includes(s) ? 'bad' : ['held', 'scheduled'].includes(s) ? 'warn' : '';
  const items = recent.notifications.map((n) => {
    const detail = h('div', {});
    const box = h('details', { 'data-notification': n.id, ontoggle: async () => {
      if (!box.open || detail.childElementCount) return;
      try {
        const full = await api('GET', `/v1/notifications/${encodeURIComponent(n.id)}`);
        detail.append(timeline(full, user.timeZone, names));
      } catch (error) { detail.append(errorBox(error)); }
    } },
    h('summary', {}, h('span', { class: `badge ${statusClass(n.status)}` }, n.status), ' ', n.title ?? n.category,
      h('span', { class: 'muted small' }, ` · ${n.category} · ${n.priority} · `, ago(n.createdAt))),
    detail);
    return h('li', {}, box);
  });
  return h('div', { class: 'card' }, h('h2', {}, 'Recent notifications'),
    items.length ? h('ul', { class: 'plain', id: 'notifications' }, items) : h('p', { class: 'muted' }, 'None yet.'));
}

// Times are in the user's zone, as quiet hours are, so "held until 07:00" and the 07:00 delivery line up.
function timeline(n, timeZone, names) {
  const at = (iso) => timeInZone(iso, timeZone);
  return h('div', {},
    h('p', { class: 'small' }, `Rule ${n.ruleName} (version ${n.ruleVersion}) · expires ${dateTimeInZone(n.expiresAt, timeZone)}`,
      n.acknowledgedAt ? ` · acknowledged ${dateTimeInZone(n.acknowledgedAt, timeZone)} on ${names(n.acknowledgedBy)}` : ''),
    h('p', { class: 'muted small', 'data-field': 'times-zone' }, `Times in ${timeZone} (the user's time zone).`),
    h('h3', { class: 'small' }, 'Deliveries'),
    n.deliveries.length ? h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ...['Step', 'Device', 'Channel', 'Status', 'Sent', 'Why'].map((t) => h('th', {}, t)))),
      h('tbody', {}, n.deliveries.map((d) => h('tr', {}, h('td', {}, d.step + 1), h('td', { 'data-field': 'device' }, d.deviceId ? h('span', { title: d.deviceId }, names(d.deviceId)) : (d.channel === 'email' ? 'the user (email)' : '')),
        h('td', {}, d.channel), h('td', {}, d.status), h('td', {}, d.sentAt ? at(d.sentAt) : ''), h('td', {}, d.reason ?? '')))))) : h('p', { class: 'muted' }, 'No deliveries.'),
    ...(n.attempts?.length ? [h('h3', { class: 'small' }, 'Provider calls'), h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ...['Time', 'Provider', 'Outcome', 'Status', 'Reason', 'ms'].map((t) => h('th', {}, t)))),
      h('tbody', {}, n.attempts.map((a) => h('tr', {}, h('td', {}, at(a.at)), h('td', {}, a.provider),
        h('td', {}, a.outcome), h('td', {}, a.status ?? ''), h('td', {}, a.reason ?? ''), h('td', {}, String(a.latencyMs)))))))] : []),
    h('h3', { class: 'small' }, 'Decision trace'), traceTree(n.trace, { withTime: true, timeZone, takenDevices: n.deliveries.filter((d) => d.deviceId && d.status !== 'dropped').map((d) => d.deviceId) }));
}
