// The console's shell: sign-in and a hash router (#/users, #/users/{app}/{id}, #/rules, #/rules/{name}, #/simulate).
import { api, session, ApiError } from './api.js';
import { h, errorBox } from './ui.js';
import { usersPage, userPage } from './users.js';
import { rulesPage, rulePage } from './rules.js';
import { simulatePage } from './simulate.js';

const main = document.getElementById('main');
let leave = null; // the current page's clean-up (e.g. closing its live stream)

const routes = [
  [/^#\/users\/([^/]+)\/(.+)$/, (app, id) => userPage(app, id)],
  [/^#\/users\/?$/, () => usersPage()],
  [/^#\/rules\/new$/, () => rulePage(null)],
  [/^#\/rules\/(.+)$/, (name) => rulePage(name)],
  [/^#\/rules\/?$/, () => rulesPage()],
  [/^#\/simulate\/?$/, () => simulatePage()],
];

async function render() {
  leave?.();
  leave = null;
  if (!session.key) return signIn();
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  document.getElementById('who').textContent = session.role === 'admin' ? 'Admin key' : 'App key';
  const hash = location.hash || '#/users';
  for (const a of document.querySelectorAll('#nav a')) {
    if (hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const route = routes.find(([pattern]) => pattern.test(hash));
  const args = route ? hash.match(route[0]).slice(1).map(decodeURIComponent) : [];
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  try {
    const page = await (route ? route[1](...args) : usersPage());
    main.replaceChildren(page.node ?? page);
    leave = page.leave ?? null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) { session.clear(); return signIn('The key is no longer accepted; sign in again.'); }
    main.replaceChildren(errorBox(error));
  }
  main.focus();
}

function signIn(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('who').textContent = '';
  const key = h('input', { type: 'password', id: 'key', name: 'key', autocomplete: 'off', required: true, size: 40 });
  const status = h('p', { role: 'alert', class: 'error' }, message ?? '');
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    status.textContent = '';
    try {
      session.save(key.value.trim(), await roleOf(key.value.trim()));
      render();
    } catch (error) {
      status.textContent = error.message;
    }
  } },
  h('h1', {}, 'Sign in'),
  h('p', { class: 'muted' }, 'Use an admin key (every app, rules and the simulator) or an app key (that app\'s users). The key stays in this browser tab only.'),
  h('label', { for: 'key' }, 'Key'), key, ' ',
  h('button', { type: 'submit' }, 'Sign in'), status);
  main.replaceChildren(form);
  key.focus();
}

/** Admin keys may read the rules; app keys may list users but not read rules; anything else is refused. */
async function roleOf(key) {
  try {
    await api('GET', '/v1/rules', undefined, { key });
    return 'admin';
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error.status === 401 ? new Error('This key is not known to the server.') : error;
  }
  try {
    await api('GET', '/v1/users?limit=1', undefined, { key });
    return 'app';
  } catch (error) {
    throw new Error(error.status === 403 ? 'That is a device token; sign in with an admin or app key.' : error.message);
  }
}

document.getElementById('sign-out').addEventListener('click', () => { session.clear(); location.hash = '#/users'; render(); });
window.addEventListener('hashchange', render);
render();
