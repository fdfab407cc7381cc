// Sign-in: POST /v1/session puts the session into the same HttpOnly cookie that the OAuth
// sign-in uses, so signing in here also signs in for an app's consent page, and back.
import { h } from '../lib/dom.js';
import { post } from '../lib/api.js';
import { pageHeader } from '../lib/ui.js';
import { field, onSubmit, valueOf, showFieldError } from '../lib/forms.js';

// Only a path under /settings is followed after sign-in, never another site.
function nextPath(query) {
  const next = query.get('next') || '';
  return /^\/settings(\/[\w/-]*)?(\?[\w=&%.-]*)?$/.test(next) && !next.startsWith('/settings/signin')
    ? next : '/settings/oauthapps';
}

export async function signIn(root, { session, query }) {
  document.body.classList.add('signin-page');
  root.append(pageHeader('Sign in'));
  if (session) {
    root.append(h('p', {}, `You are signed in as ${session.user.email}. `,
      h('a', { href: nextPath(query) }, 'Continue to Workspace Settings'), '.'));
    return;
  }
  const workspace = field({ label: 'Workspace ID', name: 'workspaceId',
    hint: 'Your account belongs to several workspaces: give the ID of the one to sign in to.',
    match: 'several workspaces', attrs: { autocomplete: 'off', spellcheck: 'false' } });
  workspace.hidden = true;
  const form = h('form', { class: 'card signin', novalidate: true },
    h('p', {}, 'Sign in with your arenite account to manage this workspace.'),
    h('div', { class: 'form-error' }),
    field({ label: 'Email', name: 'email', type: 'email', required: true,
      attrs: { autocomplete: 'username', autofocus: true } }),
    field({ label: 'Password', name: 'password', type: 'password', required: true,
      attrs: { autocomplete: 'current-password' } }),
    workspace,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Sign in')));
  root.append(form);
  onSubmit(form, async () => {
    const email = valueOf(form, 'email').trim();
    const password = valueOf(form, 'password');
    if (!email) return showFieldError(form, 'email', 'Enter your email address.');
    if (!password) return showFieldError(form, 'password', 'Enter your password.');
    const body = { email, password };
    const ws = valueOf(form, 'workspaceId').trim();
    if (!workspace.hidden && ws) body.workspaceId = ws;
    try {
      await post('/v1/session', body);
    } catch (e) {
      if (/several workspaces/.test(e.message)) {
        workspace.hidden = false;
        showFieldError(form, 'workspaceId', 'Give the workspace ID: this account is in several workspaces.');
        return undefined;
      }
      if (e.status === 400) e.message = 'The email, password or workspace ID is not valid.';
      throw e;
    }
    location.assign(nextPath(query));
    return undefined;
  });
}
