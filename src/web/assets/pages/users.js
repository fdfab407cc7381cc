// Users: the list, a new user, role changes and deactivation (PUT /v1/settings/users/{guid}).
import { h, uid } from '../lib/dom.js';
import { get, post, put, query } from '../lib/api.js';
import { pageHeader, button, table, pagedList, statusRegion, say, confirmDialog, badge,
  fmtDate } from '../lib/ui.js';
import { field, onSubmit, valueOf, showFieldError } from '../lib/forms.js';

const ROLES = [
  { value: 'ADMIN', label: 'Administrator' },
  { value: 'EDITOR', label: 'Editor' },
  { value: 'VIEWER', label: 'Viewer' },
];

export async function list(root, { session }) {
  const region = statusRegion();
  root.append(pageHeader('Users'), region,
    h('p', { class: 'lead' }, 'Administrators manage settings; editors change workspace data; viewers read it. A workspace always keeps one active administrator.'));

  const listing = pagedList({
    label: 'Users',
    load: (offset, limit) => get(`/v1/settings/users${query({ offset, limit })}`),
    render: (users) => table({
      caption: 'Users of this workspace',
      rows: users,
      columns: [
        { label: 'Name', render: (u) => h('span', {}, h('strong', {}, u.fullName || '—'),
          u.guid === session.user.guid ? h('span', { class: 'sub' }, 'you') : null) },
        { label: 'Email', render: (u) => u.email },
        { label: 'Role', render: (u) => roleControl(u) },
        { label: 'Status', render: (u) => badge(u.active ? 'ACTIVE' : 'DEACTIVATED') },
        { label: 'Created', render: (u) => fmtDate(u.creationDateTime) },
        { label: 'Actions', class: 'row-actions', render: (u) => (u.active
          ? button('Deactivate', () => setActive(u, false), 'danger', { 'aria-label': `Deactivate ${u.email}` })
          : button('Reactivate', () => setActive(u, true), 'secondary', { 'aria-label': `Reactivate ${u.email}` })) },
      ],
    }),
  });

  function roleControl(user) {
    const id = uid('role');
    const errorId = `${id}-error`;
    const error = h('p', { class: 'field-error', id: errorId, hidden: true });
    const select = h('select', { id, 'aria-describedby': errorId },
      ROLES.map((r) => h('option', { value: r.value, selected: r.value === user.role }, r.label)));
    select.addEventListener('change', async () => {
      error.hidden = true;
      select.removeAttribute('aria-invalid');
      try {
        await put(`/v1/settings/users/${user.guid}`, { role: select.value });
        say(region, `${user.email} is now ${select.options[select.selectedIndex].text.toLowerCase()}.`);
        user.role = select.value;
      } catch (e) {
        select.value = user.role;
        error.textContent = e.message;
        error.hidden = false;
        select.setAttribute('aria-invalid', 'true');
      }
    });
    return h('div', { class: 'inline-field' },
      h('label', { for: id, class: 'visually-hidden' }, `Role of ${user.email}`), select, error);
  }

  async function setActive(user, active) {
    if (!active) {
      const ok = await confirmDialog({ title: `Deactivate ${user.email}?`,
        message: 'The user is signed out everywhere and cannot sign in until reactivated. Their tokens stop working at once.',
        confirmLabel: 'Deactivate', danger: true });
      if (!ok) return;
    }
    try {
      await put(`/v1/settings/users/${user.guid}`, { active });
      say(region, `${user.email} is ${active ? 'active again' : 'deactivated'}.`);
      await listing.reload();
    } catch (e) {
      say(region, e.message, 'error');
    }
  }

  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-user' },
    h('h2', { id: 'new-user' }, 'Add a user'),
    h('div', { class: 'form-error' }),
    h('div', { class: 'grid' },
      field({ label: 'Email', name: 'email', type: 'email', required: true, attrs: { autocomplete: 'off' } }),
      field({ label: 'Full name', name: 'fullName', attrs: { autocomplete: 'off' } }),
      field({ label: 'Role', name: 'role', type: 'select', value: 'VIEWER', options: ROLES }),
      field({ label: 'Initial password', name: 'password', type: 'password', required: true,
        match: 'password', hint: 'At least 8 characters. Tell it to the user over a safe channel.',
        attrs: { autocomplete: 'new-password' } })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Create user')));

  onSubmit(form, async () => {
    const email = valueOf(form, 'email').trim();
    if (!email) return showFieldError(form, 'email', 'Enter the user\'s email address.');
    const created = await post('/v1/settings/users', {
      email, fullName: valueOf(form, 'fullName').trim(), role: valueOf(form, 'role'),
      password: valueOf(form, 'password'),
    });
    form.reset();
    say(region, `${created.email} was added as ${created.role.toLowerCase()}.`);
    await listing.reload();
    return undefined;
  });

  root.append(listing.node, form);
  await listing.first();
}
