// OAuth Applications: the list with each secret's age, New OAuth Application, the client
// secret shown once, secret rotation and deletion.
import { h } from '../lib/dom.js';
import { get, post, del, query } from '../lib/api.js';
import { pageHeader, linkButton, button, table, pagedList, statusRegion, say, confirmDialog,
  secretOnce, since, badge, fmtDate } from '../lib/ui.js';
import { field, choices, onSubmit, valueOf, checked, showFieldError } from '../lib/forms.js';

export const SCOPES = [
  ['items:read', 'read items, BOMs and sourcing'],
  ['items:write', 'create and change items'],
  ['changes:read', 'read changes'],
  ['changes:write', 'create changes and move their status'],
  ['suppliers:read', 'read suppliers and supplier items'],
  ['suppliers:write', 'create and change suppliers'],
  ['extracts:read', 'read and download DataExtract packages'],
  ['extracts:write', 'define and run extracts'],
  ['webhooks:read', 'read webhooks and their deliveries'],
  ['webhooks:write', 'manage webhooks'],
  ['settings:read', 'read workspace settings'],
  ['settings:write', 'change workspace settings'],
];

const GRANTS = [
  ['authorization_code', 'Authorization code (with PKCE): the app acts for a signed-in user'],
  ['client_credentials', 'Client credentials: the app acts as itself'],
  ['refresh_token', 'Refresh token: the app renews its access without the user'],
];

const GRACE = [
  ['86400', '24 hours (the default)'],
  ['3600', '1 hour'],
  ['604800', '7 days'],
  ['0', 'No grace: the current secret stops at once'],
];

function rotationExtra() {
  return field({ label: 'The current secret keeps working for', name: 'graceSeconds',
    type: 'select', value: '86400', options: GRACE.map(([value, label]) => ({ value, label })) });
}

export async function list(root) {
  const region = statusRegion();
  const settings = await get('/v1/settings/oauth');
  const max = settings.maxSecretAgeDays;
  root.append(pageHeader('OAuth Applications',
    linkButton('/settings/oauthapps/new', 'New OAuth Application')), region,
  h('p', { class: 'lead' }, 'Applications that call this workspace\'s API with OAuth 2.0. ',
    max ? `Client secrets older than ${max === 1 ? '1 day' : `${max} days`} are marked for rotation.`
      : 'The workspace sets no maximum secret age.'));
  const secretHolder = h('div');
  root.append(secretHolder);

  const listing = pagedList({
    label: 'OAuth applications',
    load: (offset, limit) => get(`/v1/settings/oauthapps${query({ offset, limit })}`),
    render: (apps) => table({
      caption: 'Registered applications',
      empty: 'No OAuth application is registered yet.',
      rows: apps,
      columns: [
        { label: 'Name', render: (a) => h('span', {}, h('strong', {}, a.name),
          a.description ? h('span', { class: 'sub' }, a.description) : null) },
        { label: 'Client ID', render: (a) => h('code', { class: 'id-value' }, a.clientId) },
        { label: 'Grant types', render: (a) => h('ul', { class: 'plain' }, a.grantTypes.map((g) => h('li', {}, g))) },
        { label: 'Secret age', render: (a) => (a.public ? 'public client (no secret)'
          : h('span', {}, since(a.secretAgeDays), ' ',
            a.secretTooOld ? badge(max ? `past the ${max}-day maximum` : 'too old', 'bad') : null,
            a.previousSecretExpiresDateTime
              ? h('span', { class: 'sub' }, 'Previous secret works until ', fmtDate(a.previousSecretExpiresDateTime))
              : null)) },
        { label: 'Actions', class: 'row-actions', render: (a) => h('div', { class: 'actions' },
          a.public ? null : button('Rotate secret', () => rotate(a), 'secondary',
            { 'aria-label': `Rotate the secret of ${a.name}` }),
          button('Delete', () => remove(a), 'danger', { 'aria-label': `Delete ${a.name}` })) },
      ],
    }),
  });
  root.append(listing.node);
  await listing.first();

  async function rotate(app) {
    const extra = rotationExtra();
    const ok = await confirmDialog({ title: `Rotate the secret of ${app.name}?`,
      message: 'A new client secret is made and shown once. Update the application with it before the grace period ends.',
      confirmLabel: 'Rotate secret', extra });
    if (!ok) return;
    try {
      const grace = Number(extra.querySelector('select').value);
      const rotated = await post(`/v1/settings/oauthapps/${app.guid}/secrets`, { graceSeconds: grace });
      const until = rotated.previousSecretExpiresDateTime;
      secretHolder.replaceChildren(secretOnce({
        heading: `New client secret of ${app.name}`,
        warning: 'This secret will not be shown again: arenite keeps only its digest.',
        items: [{ label: 'Client ID', value: rotated.clientId },
          { label: 'Client secret', value: rotated.clientSecret, secret: true }],
        after: h('p', {}, until ? h('span', {}, 'The previous secret keeps working until ', fmtDate(until), '.')
          : 'The previous secret no longer works.',
        ' ', button('Done', () => secretHolder.replaceChildren(), 'primary')),
      }));
      secretHolder.querySelector('h2').focus();
      await listing.reload();
    } catch (e) {
      say(region, e.message, 'error');
    }
  }

  async function remove(app) {
    const ok = await confirmDialog({ title: `Delete ${app.name}?`,
      message: 'The application can no longer sign in, and every token it holds is revoked at once. This cannot be undone.',
      confirmLabel: 'Delete application', danger: true });
    if (!ok) return;
    try {
      await del(`/v1/settings/oauthapps/${app.guid}`);
      say(region, `${app.name} was deleted.`);
      await listing.reload();
    } catch (e) {
      say(region, e.message, 'error');
    }
  }
}

export async function create(root) {
  root.append(pageHeader('New OAuth Application'));
  const form = h('form', { class: 'card', novalidate: true },
    h('div', { class: 'form-error' }),
    field({ label: 'Name', name: 'name', required: true, attrs: { maxlength: 200 } }),
    field({ label: 'Redirect URIs', name: 'redirectUris', type: 'textarea', rows: 3,
      match: 'redirect URI',
      hint: 'One per line. https:// addresses, or http://127.0.0.1/… for native apps. Needed for the authorization code grant.' }),
    field({ label: 'Description', name: 'description', type: 'textarea', rows: 2,
      hint: 'Shown to users on the consent page.' }),
    choices({ legend: 'Client type', name: 'public', type: 'radio', options: [
      { value: 'false', label: 'Confidential: a server that can keep a client secret', checked: true },
      { value: 'true', label: 'Public: a browser or native app, no secret, PKCE only' }] }),
    choices({ legend: 'Grant types', name: 'grantTypes', match: 'grant type|client_credentials',
      options: GRANTS.map(([value, label]) => ({ value, label, checked: true })) }),
    choices({ legend: 'Scopes', name: 'scopes', required: true, match: 'scope',
      hint: 'What the application may ask for.',
      options: SCOPES.map(([value, label]) => ({ value, label: value, hint: label })) }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn primary' }, 'Create'),
      linkButton('/settings/oauthapps', 'Cancel', 'secondary')));
  root.append(form);

  onSubmit(form, async () => {
    const name = valueOf(form, 'name').trim();
    if (!name) return showFieldError(form, 'name', 'Give the application a name.');
    const body = {
      name,
      description: valueOf(form, 'description').trim(),
      redirectUris: valueOf(form, 'redirectUris').split('\n').map((s) => s.trim()).filter(Boolean),
      grantTypes: checked(form, 'grantTypes'),
      scopes: checked(form, 'scopes'),
      public: valueOf(form, 'public') === 'true',
    };
    const app = await post('/v1/settings/oauthapps', body);
    const items = [{ label: 'Client ID', value: app.clientId }];
    if (app.clientSecret) items.push({ label: 'Client secret', value: app.clientSecret, secret: true });
    const shown = secretOnce({
      heading: `${app.name} is registered`,
      warning: app.clientSecret
        ? 'The client secret will not be shown again: arenite keeps only its digest. If it is lost, rotate it.'
        : 'A public client has no secret; it must use PKCE.',
      items,
      after: h('div', { class: 'actions' }, linkButton('/settings/oauthapps', 'Done', 'primary'),
        linkButton('/settings/oauthapps/new', 'Register another', 'secondary')),
    });
    form.replaceWith(shown);
    shown.querySelector('h2').focus();
    return undefined;
  });
}
