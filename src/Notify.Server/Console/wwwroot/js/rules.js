// Rules: the list, and an editor with YAML highlighting whose problems show at their lines as you type
// (POST /v1/rules/validate) and again on save (PUT /v1/rules/{name}).
import { api, session } from './api.js';
import { h, ago, toast, errorBox } from './ui.js';
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
    h('div', { class: 'card' },
      h('div', { class: 'row' }, h('div', {}, h('label', { for: 'rule-name' }, 'Name (the file is name.yaml)'), nameInput)),
      meta,
      h('label', { id: 'editor-label' }, 'YAML'),
      h('div', { class: 'editor', id: 'editor' }, editor.dom),
      h('h2', { class: 'small' }, 'Problems'), problemList,
      saveStatus,
      h('div', { class: 'row' }, h('button', { type: 'button', id: 'save-rule', onclick: save }, 'Save'),
        h('span', { class: 'muted small' }, 'A refused save changes nothing: the live version stays.'))));
  return { node, leave: () => editor.destroy() };
}
