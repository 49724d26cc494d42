// Rules: the list, and an editor with YAML highlighting whose problems show at their lines as you type
// (POST /v1/rules/validate) and again on save (PUT /v1/rules/{name}).
import { api, session, withApp } from './api.js';
import { h, ago, toast, errorBox } from './ui.js';
import { traceTree } from './trace.js';
import { EditorView, basicSetup, EditorState, yaml, linter, lintGutter, forceLinting } from '../vendor/codemirror.js';

const NEW_RULE = `match:
  categories: [example]
ttl: 1h
steps:
  - to: attention
    via: inApp
    wait: 2m
  - to: best
    via: push
`;

export async function rulesPage() {
  if (session.role !== 'admin') return h('p', { class: 'error' }, 'Rules are shared by every app: sign in with an admin key to see and edit them.');
  const rules = await api('GET', '/v1/rules');
  return h('section', {}, h('h1', {}, 'Rules'),
    h('div', { class: 'card' },
      h('p', {}, h('a', { href: '#/rules/new' }, 'New rule')),
      h('div', { class: 'table-wrap' }, h('table', { id: 'rules' },
        h('thead', {}, h('tr', {}, ...['Rule', 'Categories', 'Live version', 'Live since', 'Problems'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rules.map((r) => h('tr', {},
          h('td', {}, h('a', { href: `#/rules/${encodeURIComponent(r.name)}` }, r.name)),
          h('td', {}, r.categories.join(', ') || (r.name === 'default' ? '(every other category)' : '')),
          h('td', {}, r.active ? h('code', {}, r.version) : h('span', { class: 'badge bad' }, 'inactive')),
          h('td', {}, r.updatedAt ? ago(r.updatedAt) : ''),
          h('td', {}, r.problems.length ? h('span', { class: 'badge bad' }, `${r.problems.length} problem(s)`) : h('span', { class: 'badge ok' }, 'none')))))))));
}

export async function rulePage(name) {
  if (session.role !== 'admin') return h('p', { class: 'error' }, 'Rules are shared by every app: sign in with an admin key to see and edit them.');
  const rule = name ? await api('GET', `/v1/rules/${encodeURIComponent(name)}`) : null;
  const nameInput = h('input', { type: 'text', id: 'rule-name', value: name ?? '', required: true, pattern: '[A-Za-z0-9_-]{1,100}', readOnly: !!name });
  const meta = h('p', { id: 'rule-meta', class: 'muted' });
  const problemList = h('ul', { class: 'problems', id: 'problems', 'aria-live': 'polite' });
  const saveStatus = h('div', { role: 'alert' });
  let saved = null; // problems from the last refused save, shown until the text changes

  const showMeta = (r) => meta.replaceChildren(r?.active
    ? h('span', {}, 'Live version ', h('code', {}, r.version), ', live since ', ago(r.updatedAt), ` (${new Date(r.updatedAt).toLocaleString()})`)
    : r ? h('span', { class: 'badge bad' }, 'No live version: the file has never been valid') : 'Not saved yet.');
  showMeta(rule);

  const listProblems = (problems) => problemList.replaceChildren(...problems.map((p) =>
    h('li', { class: 'error' }, h('a', { href: '#', onclick: (e) => { e.preventDefault(); goTo(p.line, p.column); } }, `Line ${p.line}, column ${p.column}`), `: ${p.message}`)));

  const toDiagnostics = (doc, problems) => problems.map((p) => {
    const line = doc.line(Math.min(Math.max(p.line, 1), doc.lines));
    const from = Math.min(line.from + Math.max(p.column - 1, 0), line.to);
    return { from, to: Math.max(from, line.to), severity: 'error', message: p.message };
  });

  const check = linter(async (view) => {
    const text = view.state.doc.toString();
    if (saved && saved.text === text) { listProblems(saved.problems); return toDiagnostics(view.state.doc, saved.problems); }
    saved = null;
    const ruleName = nameInput.value.trim();
    try {
      const result = await api('POST', '/v1/rules/validate' + (ruleName ? `?name=${encodeURIComponent(ruleName)}` : ''), text, { contentType: 'application/yaml' });
      listProblems(result.problems);
      return toDiagnostics(view.state.doc, result.problems);
    } catch (error) {
      problemList.replaceChildren(h('li', { class: 'error' }, error.message));
      return [];
    }
  }, { delay: 400 });

  const editor = new EditorView({
    state: EditorState.create({ doc: rule?.source ?? NEW_RULE, extensions: [basicSetup, yaml(), lintGutter(), check,
      EditorView.contentAttributes.of({ 'aria-label': 'Rule YAML' })] }),
  });
  const goTo = (line, column) => {
    const l = editor.state.doc.line(Math.min(Math.max(line, 1), editor.state.doc.lines));
    editor.dispatch({ selection: { anchor: Math.min(l.from + column - 1, l.to) }, scrollIntoView: true });
    editor.focus();
  };

  const save = async () => {
    saveStatus.replaceChildren();
    const ruleName = nameInput.value.trim();
    if (!nameInput.checkValidity()) { saveStatus.append(h('p', { class: 'error' }, 'Name the rule: 1-100 letters, digits, - or _.')); return; }
    const text = editor.state.doc.toString();
    try {
      const result = await api('PUT', `/v1/rules/${encodeURIComponent(ruleName)}`, text, { contentType: 'application/yaml' });
      showMeta(result);
      listProblems([]);
      toast(`Rule ${ruleName} saved: version ${result.version} is live`);
      if (!name) location.hash = `#/rules/${encodeURIComponent(ruleName)}`;
    } catch (error) {
      saveStatus.append(errorBox(error));
      if (error.problems) {
        saved = { text, problems: error.problems };
        listProblems(error.problems);
        forceLinting(editor);
      }
    }
  };

  const node = h('section', {},
    h('h1', {}, name ? `Rule ${name}` : 'New rule'),
    h('div', { class: 'rule-layout' },
      h('div', {},
        h('div', { class: 'card' },
          h('div', { class: 'row' }, h('div', {}, h('label', { for: 'rule-name' }, 'Name (the file is name.yaml)'), nameInput)),
          meta,
          h('label', { id: 'editor-label' }, 'YAML'),
          h('div', { class: 'editor', id: 'editor' }, editor.dom),
          h('h2', { class: 'small' }, 'Problems'), problemList,
          saveStatus,
          h('p', { class: 'note small', id: 'save-where' }, 'Save writes ', h('code', {}, 'name.yaml'), ' into the server\'s rules folder (',
            h('code', {}, 'Rules:Directory'), '), live at once for every app. A server run from a checkout with the default setting uses the ',
            'repository\'s own ', h('code', {}, 'rules/'), ' folder: saving here edits those files.'),
          h('div', { class: 'row' }, h('button', { type: 'button', id: 'save-rule', onclick: save }, 'Save'),
            h('span', { class: 'muted small' }, 'A refused save changes nothing: the live version stays.'))),
        await tryItPanel(() => editor.state.doc.toString(), rule?.categories ?? [])),
      ruleHelp()));
  return { node, leave: () => editor.destroy() };
}

// ---- try the draft ----

/** The categories a draft names (match.categories: [a, b] or match.category: a), for the Try it panel's list. */
const draftCategories = (text) => {
  const list = /^\s*categories:\s*\[([^\]]*)\]/m.exec(text)?.[1].split(',') ?? [/^\s*category:\s*(\S+)/m.exec(text)?.[1]];
  return list.map((c) => c?.trim().replace(/^['"]|['"]$/g, '')).filter(Boolean);
};

/**
 * "Try it": POST /v1/simulate with the editor's current text as `rule`, for a stored user, without saving anything.
 * Shows the status, the decision and each trace entry (its kind and message).
 */
async function tryItPanel(draft, ruleCategories) {
  const { users } = await api('GET', '/v1/users?limit=200');
  const who = h('select', { id: 'try-user', required: true },
    users.length ? null : h('option', { value: '' }, 'no users yet'),
    ...users.map((u) => h('option', { value: `${u.appId}\n${u.id}` }, `${u.id} (${u.appId})`)));
  const offered = h('datalist', { id: 'try-categories' });
  const category = h('input', { type: 'text', id: 'try-category', list: 'try-categories', required: true, value: ruleCategories[0] ?? draftCategories(draft())[0] ?? '' });
  const title = h('input', { type: 'text', id: 'try-title', value: 'Trying a rule' });
  const at = h('input', { type: 'datetime-local', id: 'try-at' });
  const result = h('div', { id: 'try-result', 'aria-live': 'polite' });
  const refreshCategories = () => offered.replaceChildren(...[...new Set([...ruleCategories, ...draftCategories(draft())])].map((c) => h('option', { value: c })));
  refreshCategories();
  category.addEventListener('focus', refreshCategories);
  const field = (id, text, input) => h('div', {}, h('label', { for: id }, text), input);

  const form = h('form', { id: 'try-it', onsubmit: async (e) => {
    e.preventDefault();
    if (!who.value) { result.replaceChildren(errorBox(new Error('Pick a user (apps create them with PUT /v1/users/{id}).'))); return; }
    const [appId, userId] = who.value.split('\n');
    const body = { userId, category: category.value.trim(), title: title.value || 'Trying a rule', rule: draft(), deliveredTo: [] };
    if (at.value) body.at = new Date(at.value).toISOString();
    result.replaceChildren(h('p', { class: 'muted' }, 'Deciding…'));
    try {
      result.replaceChildren(tryAnswer(await api('POST', withApp('/v1/simulate', appId), body)));
    } catch (error) {
      result.replaceChildren(errorBox(error), error.errors ? h('ul', {}, Object.entries(error.errors).map(([k, v]) => h('li', {}, `${k}: ${v.join(' ')}`))) : '');
    }
  } },
  h('div', { class: 'row' }, field('try-user', 'User', who), field('try-category', 'Category', category), offered),
  h('div', { class: 'row' }, field('try-title', 'Title', title), field('try-at', 'At (your local time; empty: now)', at)),
  h('button', { type: 'submit', id: 'try-run' }, 'Try it'));
  return h('div', { class: 'card', id: 'try-panel' }, h('h2', {}, 'Try it'),
    h('p', { class: 'muted small' }, 'What this draft would do for a user now (or at the time given), with their live devices. Nothing is saved or sent.'),
    form, result);
}

function tryAnswer(answer) {
  const d = answer.decision ?? {};
  const cls = { delivered: 'ok', scheduled: 'warn', held: 'warn', suppressed: 'bad', failed: 'bad' }[answer.status] ?? '';
  return h('div', { id: 'try-decision' },
    h('p', {}, 'Status ', h('span', { class: `badge ${cls}`, id: 'try-status' }, answer.status),
      d.channel ? ` · ${d.channel}` : '', d.deviceId ? ` · device ${d.deviceId}` : ''),
    d.reason ? h('p', { class: 'small', id: 'try-reason' }, d.reason) : null,
    h('h3', { class: 'small' }, 'Trace'),
    traceTree(answer.trace ?? [], { takenDevices: d.deviceId ? [d.deviceId] : [] }));
}

// ---- the reference beside the editor ----

function ruleHelp() {
  const term = (t, ...text) => [h('dt', {}, h('code', {}, t)), h('dd', {}, ...text)];
  return h('aside', { class: 'card help', id: 'rule-help', 'aria-labelledby': 'rule-help-title' },
    h('h2', { id: 'rule-help-title' }, 'Rule reference'),
    h('p', { class: 'small' }, 'Each step picks one target; the next step runs only if nobody has seen the notification by its ', h('code', {}, 'wait'), '.'),
    h('dl', {},
      term('to: attention', 'the online device the user is using now (presence active, latest activity).'),
      term('to: best', 'the best-ranked eligible device, online or not (presence, learned response, foreground, battery, network).'),
      term('to: all', 'every eligible device (explicit fan-out).'),
      term('to: user', 'the person, by email (with ', h('code', {}, 'via: email'), ').'),
      term('via', h('code', {}, 'inApp'), ', ', h('code', {}, 'push'), ' or ', h('code', {}, 'email'), '; a channel not configured is passed over, with the reason in the trace.'),
      term('wait', 'e.g. ', h('code', {}, '2m'), ', ', h('code', {}, '1h30m'), ', or learned: ', h('code', {}, '{ learned: true, min: 2m, max: 15m }'), '. Only the last step may omit it.'),
      term('where', 'a condition per device: only devices for which it holds are eligible, e.g. ', h('code', {}, "device.platform in ['ios', 'android']"), '.'),
      term('when', 'a condition on the notification, user and time; the step is skipped when false, e.g. ', h('code', {}, "notification.priority == 'high'"), '.'),
      term('defer', 'hold the step back: ', h('code', {}, '{ for: 30m }'), ', ', h('code', {}, '{ until: quietHoursEnd }'), ', ', h('code', {}, '{ until: charging }'), ', ', h('code', {}, '{ until: wifi }'), '.'),
      term('choose', 'a list of alternatives; the first whose ', h('code', {}, 'when'), ' holds is the step.'),
      term('CEL', 'conditions are CEL expressions over ', h('code', {}, 'notification'), ', ', h('code', {}, 'user'), ', ', h('code', {}, 'local'), ' (',
        h('code', {}, 'hour'), ', ', h('code', {}, 'weekday'), '…), ', h('code', {}, 'now'), ' and, in ', h('code', {}, 'where'), ', ', h('code', {}, 'device'),
        ' (', h('code', {}, 'platform'), ', ', h('code', {}, 'online'), ', ', h('code', {}, 'presence'), ', ', h('code', {}, 'battery.level'), '…). A misspelt field is a problem at its line.')),
    h('p', { class: 'small' }, 'The full reference, with every field and example: ', h('a', { href: 'docs/rules.md', target: '_blank', id: 'rules-doc' }, 'docs/rules.md'), ' (',
      h('a', { href: 'https://github.com/google/cel-spec/blob/master/doc/langdef.md', rel: 'noopener', target: '_blank' }, 'CEL language definition'), ').'));
}
