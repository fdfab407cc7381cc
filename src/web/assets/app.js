// Workspace Settings: finds who is signed in, lays out the navigation and renders the page
// that the path names. Every page is a full load, so each has its own URL and history entry.
import { h, clear } from './lib/dom.js';
import { get, put, setCsrfToken, signInUrl, ApiError } from './lib/api.js';
import { setTitle, alertBox } from './lib/ui.js';

const G = '([0-9A-Z]{20})';
const ROUTES = [
  { re: /^\/settings\/signin$/, module: 'signin', view: 'signIn', open: true },
  { re: /^\/settings\/oauthapps$/, module: 'oauthapps', view: 'list', nav: 'oauthapps' },
  { re: /^\/settings\/oauthapps\/new$/, module: 'oauthapps', view: 'create', nav: 'oauthapps' },
  { re: /^\/settings\/webhooks$/, module: 'webhooks', view: 'list', nav: 'webhooks' },
  { re: /^\/settings\/webhooks\/new$/, module: 'webhooks', view: 'create', nav: 'webhooks' },
  { re: new RegExp(`^/settings/webhooks/${G}$`), module: 'webhooks', view: 'detail', nav: 'webhooks' },
  { re: new RegExp(`^/settings/webhooks/${G}/edit$`), module: 'webhooks', view: 'edit', nav: 'webhooks' },
  { re: /^\/settings\/extracts$/, module: 'extracts', view: 'list', nav: 'extracts' },
  { re: new RegExp(`^/settings/extracts/${G}$`), module: 'extracts', view: 'detail', nav: 'extracts' },
  { re: /^\/settings\/integrations$/, module: 'integrations', view: 'list', nav: 'integrations' },
  { re: /^\/settings\/users$/, module: 'users', view: 'list', nav: 'users' },
  { re: /^\/settings\/auditlog$/, module: 'auditlog', view: 'list', nav: 'auditlog' },
];

const NAV = [
  ['oauthapps', 'OAuth Applications'],
  ['webhooks', 'Webhooks'],
  ['extracts', 'DataExtract'],
  ['integrations', 'Integrations'],
  ['users', 'Users'],
  ['auditlog', 'Audit log'],
];

function renderNav(current) {
  const nav = document.getElementById('nav');
  nav.hidden = false;
  nav.replaceChildren(h('ul', {}, NAV.map(([key, label]) =>
    h('li', {}, h('a', { href: `/settings/${key}`, 'aria-current': key === current ? 'page' : null },
      label)))));
}

function renderWho(session) {
  const who = document.getElementById('who');
  const signOut = h('button', { type: 'button', class: 'btn link' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    try {
      await put('/v1/logout');
    } finally {
      location.assign('/settings/signin');
    }
  });
  who.replaceChildren(
    h('span', { class: 'workspace' }, session.workspaceName),
    h('span', { class: 'user' }, session.user.email, ` (${session.user.role.toLowerCase()})`),
    signOut);
}

async function main() {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  if (path === '/settings') {
    location.replace('/settings/oauthapps');
    return;
  }
  const root = document.getElementById('main');
  const route = ROUTES.find((r) => r.re.test(path));

  let session = null;
  try {
    session = await get('/v1/session');
    setCsrfToken(session.csrfToken);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) {
      clear(root).append(h('h1', {}, 'Workspace Settings'), alertBox(e.message));
      return;
    }
    if (!route || !route.open) {
      location.replace(signInUrl());
      return;
    }
  }
  if (session) renderWho(session);
  if (!route) {
    setTitle('Page not found');
    if (session) renderNav(null);
    clear(root).append(h('h1', {}, 'Page not found'),
      h('p', {}, 'There is no settings page at this address. ',
        h('a', { href: '/settings/oauthapps' }, 'Go to OAuth Applications'), '.'));
    return;
  }
  if (route.nav) renderNav(route.nav);
  const params = path.match(route.re).slice(1);
  const page = await import(`./pages/${route.module}.js`);
  clear(root);
  try {
    await page[route.view](root, { session, params, query: new URLSearchParams(location.search) });
  } catch (e) {
    const message = e instanceof ApiError && e.status === 403
      ? 'Only workspace administrators can use this page.'
      : e.message;
    root.append(alertBox(message));
  }
}

main();
