// Webhooks: the list with each webhook's health, New Webhook and editing, the Test button,
// the delivery log (filters, attempts, redeliver, auto-refresh), recover and secret rotation.
import { h } from '../lib/dom.js';
import { get, post, put, del, query, getAll } from '../lib/api.js';
import { pageHeader, linkButton, button, table, pagedList, statusRegion, say, confirmDialog,
  secretOnce, badge, fmtDate, autoRefresh, alertBox } from '../lib/ui.js';
import { field, choices, onSubmit, valueOf, checked, showFieldError } from '../lib/forms.js';
import { viewChoices } from './extracts.js';

const FALLBACK_EVENT_TYPES = ['item.created', 'item.updated', 'item.deleted',
  'item.lifecycle_changed', 'change.created', 'change.updated', 'change.status_changed',
  'supplier.created', 'supplier.updated', 'supplier.deleted', 'extract.completed', 'webhook.test'];

const STATUSES = ['PENDING', 'RETRYING', 'DELIVERED', 'FAILED'];

async function eventTypes() {
  try {
    const page = await get('/v1/settings/webhooks/eventtypes');
    return page.results.map((t) => ({ name: t.name, description: t.description }));
  } catch {
    return FALLBACK_EVENT_TYPES.map((name) => ({ name, description: '' }));
  }
}

function health(w) {
  const status = w.enabled === false ? 'DISABLED' : (w.health?.status || 'UNKNOWN');
  const reason = w.enabled === false ? (w.disabledReason ? `disabled: ${w.disabledReason}` : 'disabled')
    : w.health?.reason;
  return h('span', { class: 'health' }, badge(status), reason ? h('span', { class: 'sub' }, reason) : null);
}

function authLabel(a, apps) {
  if (!a || a.type === 'NONE') return 'None';
  if (a.type === 'OAUTH2') {
    const app = apps?.find((x) => x.guid === a.oauthAppGuid);
    return `OAuth 2.0 with ${app ? app.name : 'app ' + a.oauthAppGuid}`;
  }
  return `OAuth 2.0 client credentials at ${a.tokenUrl}`;
}

export async function list(root) {
  const region = statusRegion();
  root.append(pageHeader('Webhooks', linkButton('/settings/webhooks/new', 'New Webhook')), region,
    h('p', { class: 'lead' }, 'Webhooks push the workspace\'s events, or DataExtract packages of what changed, to other systems. Each delivery is signed (Standard Webhooks) and retried with backoff.'));
  const listing = pagedList({
    label: 'Webhooks',
    load: (offset, limit) => get(`/v1/settings/webhooks${query({ offset, limit })}`),
    render: (hooks) => table({
      caption: 'Webhooks of this workspace',
      empty: 'No webhook is set up yet.',
      rows: hooks,
      columns: [
        { label: 'Name', render: (w) => h('a', { href: `/settings/webhooks/${w.guid}` }, w.name) },
        { label: 'Target URL', render: (w) => h('code', { class: 'url' }, w.targetUrl) },
        { label: 'Event types', render: (w) => h('ul', { class: 'plain tags' }, w.eventTypes.map((t) => h('li', {}, t))) },
        { label: 'Payload', render: (w) => (w.payload === 'EXTRACT' ? 'DataExtract package' : 'Event') },
        { label: 'Health', render: health },
        { label: 'Last delivery', render: (w) => fmtDate(w.lastDeliveryDateTime) },
        { label: 'Actions', class: 'row-actions', render: (w) => h('div', { class: 'actions' },
          linkButton(`/settings/webhooks/${w.guid}`, 'Deliveries', 'secondary'),
          linkButton(`/settings/webhooks/${w.guid}/edit`, 'Edit', 'secondary')) },
      ],
    }),
  });
  root.append(listing.node);
  await listing.first();
}

// The form of New Webhook and of editing one; `hook` holds the current values when editing.
async function webhookForm(root, hook) {
  const [types, apps, categories, phases] = await Promise.all([
    eventTypes(),
    getAll('/v1/settings/oauthapps').catch(() => []),
    get('/v1/settings/items/categories?limit=400').then((p) => p.results).catch(() => []),
    get('/v1/settings/items/lifecyclephases?limit=400').then((p) => p.results).catch(() => []),
  ]);
  const cur = hook || { eventTypes: [], authentication: { type: 'NONE' }, payload: 'EVENT', enabled: true,
    filters: {}, extract: null };
  const auth = cur.authentication || { type: 'NONE' };

  const multi = (label, name, options, selected, hint) => {
    const f = field({ label, name, type: 'select', options: [], hint, attrs: { multiple: true, size: 5 } });
    const select = f.querySelector('select');
    for (const o of options) select.append(h('option', { value: o.value, selected: selected.includes(o.value) }, o.label));
    return f;
  };

  const oauthApp = field({ label: 'OAuth application', name: 'authentication.oauthAppGuid', type: 'select',
    value: auth.oauthAppGuid || '', match: 'oauthAppGuid|application',
    hint: 'arenite signs a short-lived access token for this app with the target URL as its audience.',
    options: [{ value: '', label: 'Choose an application' },
      ...apps.map((a) => ({ value: a.guid, label: `${a.name} (${a.clientId})` }))] });
  const external = h('div', { class: 'sub-fields' },
    field({ label: 'Token URL', name: 'authentication.tokenUrl', type: 'url', value: auth.tokenUrl || '',
      hint: 'The receiver\'s own OAuth token endpoint (client credentials grant).' }),
    field({ label: 'Client ID', name: 'authentication.clientId', value: auth.clientId || '',
      attrs: { autocomplete: 'off' } }),
    field({ label: 'Client secret', name: 'authentication.clientSecret', type: 'password',
      hint: auth.clientSecretSet ? 'A secret is set; leave empty to keep it.' : null,
      attrs: { autocomplete: 'new-password' } }),
    field({ label: 'Scope', name: 'authentication.scope', value: auth.scope || '' }),
    field({ label: 'Audience', name: 'authentication.audience', value: auth.audience || '' }));
  const authChoice = choices({ legend: 'Authentication', name: 'authentication.type', type: 'radio',
    match: 'authentication\\b',
    options: [
      { value: 'NONE', label: 'None', hint: 'the signature alone', checked: auth.type === 'NONE' },
      { value: 'OAUTH2', label: 'OAuth 2.0', hint: 'a token for one of this workspace\'s applications', checked: auth.type === 'OAUTH2' },
      { value: 'OAUTH2_CLIENT_CREDENTIALS', label: 'External token URL', hint: 'a token from the receiver\'s authorization server', checked: auth.type === 'OAUTH2_CLIENT_CREDENTIALS' },
    ] });
  const extractFields = h('div', { class: 'sub-fields' },
    viewChoices('extract.views', cur.extract?.views || []),
    field({ label: 'Package format', name: 'extract.format', type: 'select', value: cur.extract?.format || 'RFC4180',
      options: [{ value: 'RFC4180', label: 'RFC 4180 CSV' }, { value: 'DATAEXTRACT', label: 'Arena DataExtract CSV' }] }));
  const payloadChoice = choices({ legend: 'Payload', name: 'payload', type: 'radio', options: [
    { value: 'EVENT', label: 'Event', hint: 'a JSON body per event', checked: cur.payload !== 'EXTRACT' },
    { value: 'EXTRACT', label: 'DataExtract package', hint: 'a ZIP of the rows changed since the previous package', checked: cur.payload === 'EXTRACT' }] });

  const form = h('form', { class: 'card', novalidate: true },
    h('div', { class: 'form-error' }),
    field({ label: 'Name', name: 'name', required: true, value: cur.name || '', attrs: { maxlength: 200 } }),
    field({ label: 'Description', name: 'description', type: 'textarea', rows: 2, value: cur.description || '' }),
    field({ label: 'Target URL', name: 'targetUrl', type: 'url', required: true, value: cur.targetUrl || '',
      hint: 'A public https:// address that answers 2xx to each delivery.', match: 'target' }),
    choices({ legend: 'Event types', name: 'eventTypes', required: true, match: 'event type',
      options: types.filter((t) => t.name !== 'webhook.test').map((t) => ({ value: t.name, label: t.name,
        hint: t.description && t.description !== t.name ? t.description : null,
        checked: cur.eventTypes.includes(t.name) })) }),
    h('fieldset', { class: 'group' }, h('legend', {}, 'Filters (optional)'),
      multi('Only items in these categories', 'filters.categoryGuids',
        categories.map((c) => ({ value: c.guid, label: c.path || c.name })), cur.filters?.categoryGuids || [],
        'None chosen: every category.'),
      multi('Only items in these lifecycle phases', 'filters.lifecyclePhaseGuids',
        phases.map((p) => ({ value: p.guid, label: p.name })), cur.filters?.lifecyclePhaseGuids || [],
        'None chosen: every phase.')),
    payloadChoice, extractFields,
    authChoice, oauthApp, external,
    h('fieldset', { class: 'group' }, h('legend', {}, 'Delivery'),
      choices({ legend: 'State', name: 'enabled', type: 'radio', options: [
        { value: 'true', label: 'Enabled', checked: cur.enabled !== false },
        { value: 'false', label: 'Disabled', checked: cur.enabled === false }] }),
      h('div', { class: 'grid' },
        field({ label: 'Most attempts at once', name: 'maxConcurrentAttempts', type: 'number',
          value: cur.maxConcurrentAttempts ?? '', attrs: { min: 1 }, hint: 'Leave empty for the default.' }),
        field({ label: 'Most attempts per second', name: 'maxAttemptsPerSecond', type: 'number',
          value: cur.maxAttemptsPerSecond ?? '', attrs: { min: 1 }, hint: 'Leave empty for the default.' }))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn primary' }, hook ? 'Save' : 'Create webhook'),
      linkButton(hook ? `/settings/webhooks/${hook.guid}` : '/settings/webhooks', 'Cancel', 'secondary')));

  const sync = () => {
    const type = valueOf(form, 'authentication.type');
    oauthApp.hidden = type !== 'OAUTH2';
    external.hidden = type !== 'OAUTH2_CLIENT_CREDENTIALS';
    extractFields.hidden = valueOf(form, 'payload') !== 'EXTRACT';
  };
  form.addEventListener('change', sync);
  root.append(form);
  sync();

  const body = () => {
    const b = {
      name: valueOf(form, 'name').trim(),
      description: valueOf(form, 'description').trim(),
      targetUrl: valueOf(form, 'targetUrl').trim(),
      eventTypes: checked(form, 'eventTypes'),
      filters: {
        categoryGuids: [...form.elements.namedItem('filters.categoryGuids').selectedOptions].map((o) => o.value),
        lifecyclePhaseGuids: [...form.elements.namedItem('filters.lifecyclePhaseGuids').selectedOptions].map((o) => o.value),
      },
      payload: valueOf(form, 'payload'),
      enabled: valueOf(form, 'enabled') === 'true',
    };
    const type = valueOf(form, 'authentication.type');
    if (type === 'OAUTH2') b.authentication = { type, oauthAppGuid: valueOf(form, 'authentication.oauthAppGuid') };
    else if (type === 'OAUTH2_CLIENT_CREDENTIALS') {
      b.authentication = { type };
      for (const k of ['tokenUrl', 'clientId', 'clientSecret', 'scope', 'audience']) {
        const v = valueOf(form, `authentication.${k}`).trim();
        if (v) b.authentication[k] = v;
      }
    } else b.authentication = { type: 'NONE' };
    if (b.payload === 'EXTRACT') b.extract = { views: checked(form, 'extract.views'), format: valueOf(form, 'extract.format') };
    for (const k of ['maxConcurrentAttempts', 'maxAttemptsPerSecond']) {
      const v = valueOf(form, k);
      if (v !== '') b[k] = Number(v);
    }
    return b;
  };
  return { form, body };
}

export async function create(root) {
  root.append(pageHeader('New Webhook'));
  const { form, body } = await webhookForm(root, null);
  onSubmit(form, async () => {
    const b = body();
    if (!b.name) return showFieldError(form, 'name', 'Give the webhook a name.');
    if (!b.targetUrl) return showFieldError(form, 'targetUrl', 'Give the address to deliver to.');
    if (!b.eventTypes.length) return showFieldError(form, 'eventTypes', 'Choose at least one event type.');
    if (b.authentication.type === 'OAUTH2' && !b.authentication.oauthAppGuid) {
      return showFieldError(form, 'authentication.oauthAppGuid', 'Choose the application whose token is sent.');
    }
    const created = await post('/v1/settings/webhooks', b);
    const shown = secretOnce({
      heading: `${created.name} is set up`,
      warning: 'The signing secret will not be shown again. The receiver needs it to check each delivery\'s webhook-signature; if it is lost, rotate it.',
      items: [{ label: 'Signing secret', value: created.signingSecret, secret: true }],
      after: h('div', { class: 'actions' },
        linkButton(`/settings/webhooks/${created.guid}`, 'Open the webhook and send a test event', 'primary'),
        linkButton('/settings/webhooks', 'All webhooks', 'secondary')),
    });
    form.replaceWith(shown);
    shown.querySelector('h2').focus();
    return undefined;
  });
}

export async function edit(root, { params }) {
  const hook = await get(`/v1/settings/webhooks/${params[0]}`);
  root.append(pageHeader(`Edit ${hook.name}`));
  const { form, body } = await webhookForm(root, hook);
  onSubmit(form, async () => {
    const b = body();
    if (!b.name) return showFieldError(form, 'name', 'Give the webhook a name.');
    if (!b.eventTypes.length) return showFieldError(form, 'eventTypes', 'Choose at least one event type.');
    await put(`/v1/settings/webhooks/${hook.guid}`, b);
    location.assign(`/settings/webhooks/${hook.guid}`);
    return undefined;
  });
}

function testResult(r) {
  const lines = [];
  if (r.delivered) {
    lines.push(h('strong', {}, 'Delivered. '), `The target answered HTTP ${r.responseStatus} in ${r.durationMs} ms.`);
  } else {
    lines.push(h('strong', {}, 'Not delivered. '),
      r.responseStatus ? `The target answered HTTP ${r.responseStatus}. ` : '',
      r.errorClass ? `${r.errorClass}: ` : '', r.error || '', ` (${r.durationMs} ms)`);
  }
  return h('p', { class: `note ${r.delivered ? 'ok' : 'error'} test-result` }, lines);
}

function headersList(headers) {
  const entries = Object.entries(headers || {});
  if (!entries.length) return h('p', { class: 'sub' }, 'none');
  return h('dl', { class: 'headers' }, entries.map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, String(v)))]));
}

export async function detail(root, { params }) {
  const [guid] = params;
  const region = statusRegion();
  let hook = await get(`/v1/settings/webhooks/${guid}`);
  const [types, apps] = await Promise.all([eventTypes(), getAll('/v1/settings/oauthapps').catch(() => [])]);
  const facts = h('dl', { class: 'facts' });
  const secretHolder = h('div');
  const toggle = button('', () => setEnabled(!hook.enabled), 'secondary');

  const renderFacts = () => {
    toggle.textContent = hook.enabled ? 'Disable' : 'Enable';
    facts.replaceChildren(
      h('dt', {}, 'Target URL'), h('dd', {}, h('code', { class: 'url' }, hook.targetUrl)),
      h('dt', {}, 'Health'), h('dd', {}, health(hook)),
      h('dt', {}, 'Event types'), h('dd', {}, hook.eventTypes.join(', ')),
      h('dt', {}, 'Payload'), h('dd', {}, hook.payload === 'EXTRACT'
        ? `DataExtract package of ${(hook.extract?.views || []).join(', ')}` : 'Event'),
      h('dt', {}, 'Authentication'), h('dd', {}, authLabel(hook.authentication, apps)),
      h('dt', {}, 'Signing secret created'), h('dd', {}, fmtDate(hook.signingSecretCreationDateTime),
        hook.previousSecretExpiresDateTime ? h('span', { class: 'sub' }, 'Previous secret works until ', fmtDate(hook.previousSecretExpiresDateTime)) : null),
      h('dt', {}, 'Last delivery'), h('dd', {}, fmtDate(hook.lastDeliveryDateTime)),
      h('dt', {}, 'Last success'), h('dd', {}, fmtDate(hook.lastSuccessDateTime)));
    document.querySelector('h1').textContent = hook.name;
  };

  root.append(pageHeader(hook.name,
    linkButton(`/settings/webhooks/${guid}/edit`, 'Edit', 'secondary'),
    button('Rotate signing secret', rotate, 'secondary'), toggle,
    button('Delete', remove, 'danger')), region, facts, secretHolder);
  renderFacts();

  // The Test button.
  const testOut = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const testForm = h('form', { class: 'card inline', 'aria-labelledby': 'test-h' },
    h('h2', { id: 'test-h' }, 'Test'),
    h('div', { class: 'form-error' }),
    field({ label: 'Event type', name: 'eventType', type: 'select', value: 'webhook.test',
      options: types.map((t) => ({ value: t.name, label: t.name })) }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Send test event')),
    testOut);
  onSubmit(testForm, async () => {
    testOut.replaceChildren(h('p', { class: 'note' }, 'Sending…'));
    try {
      const r = await post(`/v1/settings/webhooks/${guid}/test`, { eventType: valueOf(testForm, 'eventType') });
      testOut.replaceChildren(testResult(r));
    } catch (e) {
      testOut.replaceChildren();
      throw e;
    }
    await deliveries.reload(true);
    return undefined;
  });
  root.append(testForm);

  // The delivery log.
  const filters = h('form', { class: 'filters', 'aria-label': 'Delivery log filters' },
    field({ label: 'Status', name: 'status', type: 'select', value: '',
      options: [{ value: '', label: 'Any status' }, ...STATUSES.map((s) => ({ value: s, label: s }))] }),
    field({ label: 'Event type', name: 'eventType', type: 'select', value: '',
      options: [{ value: '', label: 'Any event type' }, ...types.map((t) => ({ value: t.name, label: t.name })),
        // The deliveries of an EXTRACT webhook carry packages.
        { value: 'extract.package', label: 'extract.package' }] }));
  filters.addEventListener('change', () => deliveries.first());
  filters.addEventListener('submit', (e) => e.preventDefault());
  const details = h('div', { class: 'delivery-details' });

  const deliveries = pagedList({
    label: 'Deliveries',
    load: (offset, limit) => get(`/v1/settings/webhooks/${guid}/deliveries${query({
      status: valueOf(filters, 'status'), eventType: valueOf(filters, 'eventType'), offset, limit })}`),
    render: (rows) => table({
      caption: 'Deliveries, newest first',
      empty: 'No delivery matches.',
      rows,
      columns: [
        { label: 'Created', render: (d) => fmtDate(d.creationDateTime) },
        { label: 'Event type', render: (d) => d.eventType },
        { label: 'Status', render: (d) => badge(d.status) },
        { label: 'Attempts', render: (d) => String(d.attempts) },
        { label: 'Last response', render: (d) => (d.lastResponseStatus ? `HTTP ${d.lastResponseStatus}` : '—') },
        { label: 'Last error', render: (d) => (d.lastError ? h('span', {}, d.lastErrorClass ? h('strong', {}, `${d.lastErrorClass}: `) : null, d.lastError) : '—') },
        { label: 'Next attempt', render: (d) => fmtDate(d.nextAttemptDateTime) },
        { label: 'Delivered', render: (d) => fmtDate(d.deliveredDateTime) },
        { label: 'Actions', class: 'row-actions', render: (d) => h('div', { class: 'actions' },
          button('Attempts', () => showDelivery(d.guid), 'secondary', { 'aria-label': `Attempts of delivery ${d.guid}` }),
          button('Redeliver', () => redeliver(d), 'secondary', { 'aria-label': `Redeliver ${d.guid}` })) },
      ],
    }),
  });

  const recoverForm = h('form', { class: 'card inline', 'aria-labelledby': 'recover-h', novalidate: true },
    h('h2', { id: 'recover-h' }, 'Recover'),
    h('p', {}, 'Queue again every failed delivery made since a point in time, for example once the receiver is fixed.'),
    h('div', { class: 'form-error' }),
    field({ label: 'Since (UTC)', name: 'since', type: 'datetime-local', required: true, attrs: { step: 1 } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn secondary' }, 'Requeue deliveries')));
  onSubmit(recoverForm, async () => {
    const since = valueOf(recoverForm, 'since');
    if (!since) return showFieldError(recoverForm, 'since', 'Give the date and time to recover from.');
    const iso = (since.length === 16 ? `${since}:00` : since) + 'Z';
    const r = await post(`/v1/settings/webhooks/${guid}/recover`, { since: iso });
    say(region, `${r.requeued} ${r.requeued === 1 ? 'delivery was' : 'deliveries were'} requeued.`);
    await deliveries.reload(true);
    return undefined;
  });

  root.append(h('section', { 'aria-labelledby': 'log-h', class: 'log' },
    h('h2', { id: 'log-h' }, 'Delivery log'), filters,
    autoRefresh(async () => {
      await deliveries.reload(true);
      hook = await get(`/v1/settings/webhooks/${guid}`);
      renderFacts();
    }, 3000),
    deliveries.node, details), recoverForm);
  await deliveries.first();

  async function showDelivery(deliveryGuid) {
    try {
      const d = await get(`/v1/settings/webhooks/${guid}/deliveries/${deliveryGuid}`);
      const headingId = `delivery-${d.guid}`;
      details.replaceChildren(h('section', { class: 'card', 'aria-labelledby': headingId },
        h('h3', { id: headingId, tabindex: '-1' }, `Delivery ${d.guid}: ${d.eventType}, ${d.status}`),
        h('p', {}, 'Event ', h('code', {}, d.eventGuid || '—'), '. ',
          button('Close', () => details.replaceChildren(), 'secondary small')),
        (d.attemptHistory || []).length ? h('ol', { class: 'attempts' }, d.attemptHistory.map((a) => h('li', {},
          h('h4', {}, `Attempt ${a.number}: `, a.responseStatus ? `HTTP ${a.responseStatus}` : (a.errorClass || 'no answer'),
            ` in ${a.durationMs} ms`),
          h('dl', { class: 'facts' },
            h('dt', {}, 'Started'), h('dd', {}, fmtDate(a.startedDateTime)),
            h('dt', {}, 'Address'), h('dd', {}, a.address || '—'),
            h('dt', {}, 'Error'), h('dd', {}, a.error ? `${a.errorClass ? a.errorClass + ': ' : ''}${a.error}` : '—')),
          h('details', {}, h('summary', {}, 'Request headers'), headersList(a.requestHeaders)),
          h('details', {}, h('summary', {}, 'Response headers'), headersList(a.responseHeaders)),
          h('details', {}, h('summary', {}, 'Response body'), h('pre', { tabindex: 0 }, a.responseBody || '(empty)')))))
          : h('p', {}, 'No attempt has been made yet.')));
      details.querySelector('h3').focus();
    } catch (e) {
      details.replaceChildren(alertBox(e.message));
    }
  }

  async function redeliver(d) {
    try {
      await post(`/v1/settings/webhooks/${guid}/deliveries/${d.guid}/redeliver`);
      say(region, `Delivery ${d.guid} is queued again.`);
      await deliveries.reload(true);
    } catch (e) {
      say(region, e.message, 'error');
    }
  }

  async function rotate() {
    const extra = field({ label: 'The current secret keeps working for', name: 'gracePeriodSeconds',
      type: 'select', value: '86400', options: [
        { value: '86400', label: '24 hours' }, { value: '3600', label: '1 hour' },
        { value: '604800', label: '7 days' }, { value: '0', label: 'No grace: it stops at once' }] });
    const ok = await confirmDialog({ title: `Rotate the signing secret of ${hook.name}?`,
      message: 'Deliveries are signed with both secrets during the grace period, so the receiver can switch without losing any.',
      confirmLabel: 'Rotate secret', extra });
    if (!ok) return;
    try {
      const r = await post(`/v1/settings/webhooks/${guid}/secrets`,
        { gracePeriodSeconds: Number(extra.querySelector('select').value) });
      secretHolder.replaceChildren(secretOnce({
        heading: 'New signing secret',
        warning: 'This secret will not be shown again.',
        items: [{ label: 'Signing secret', value: r.signingSecret, secret: true }],
        after: h('p', {}, r.previousSecretExpiresDateTime
          ? h('span', {}, 'The previous secret keeps working until ', fmtDate(r.previousSecretExpiresDateTime), '. ')
          : 'The previous secret no longer works. ',
        button('Done', () => secretHolder.replaceChildren(), 'primary')),
      }));
      secretHolder.querySelector('h2').focus();
      hook = await get(`/v1/settings/webhooks/${guid}`);
      renderFacts();
    } catch (e) {
      say(region, e.message, 'error');
    }
  }

  async function setEnabled(enabled) {
    try {
      hook = await put(`/v1/settings/webhooks/${guid}`, { enabled });
      renderFacts();
      say(region, `${hook.name} is ${enabled ? 'enabled' : 'disabled'}.`);
    } catch (e) {
      say(region, e.message, 'error');
    }
  }

  async function remove() {
    const ok = await confirmDialog({ title: `Delete ${hook.name}?`,
      message: 'No more deliveries are made, and its delivery log is removed.',
      confirmLabel: 'Delete webhook', danger: true });
    if (!ok) return;
    try {
      await del(`/v1/settings/webhooks/${guid}`);
      location.assign('/settings/webhooks');
    } catch (e) {
      say(region, e.message, 'error');
    }
  }
}
