// Integrations: one row per OAuth application with its scopes, secret age, last activity and
// the webhooks that deliver with it (GET /v1/settings/integrations).
import { h } from '../lib/dom.js';
import { get } from '../lib/api.js';
import { pageHeader, table, pagedList, badge, fmtDate, since } from '../lib/ui.js';

function lastActivity(app) {
  const times = [app.lastTokenDateTime, ...(app.webhooks || []).map((w) => w.lastDeliveryDateTime)]
    .filter(Boolean).sort();
  return times.length ? fmtDate(times[times.length - 1]) : 'none yet';
}

export async function list(root) {
  root.append(pageHeader('Integrations'),
    h('p', { class: 'lead' }, 'Every application connected to this workspace, what it may do, and the webhooks that push events to it.'));
  let all = null;
  const listing = pagedList({
    label: 'Integrations',
    // The inventory comes whole; it is paged here.
    load: async (offset, limit) => {
      all ??= (await get('/v1/settings/integrations')).results;
      const results = all.slice(offset, offset + limit);
      return { count: results.length, results };
    },
    render: (apps) => table({
      caption: 'Connected applications',
      empty: 'No application is connected yet. Register one under OAuth Applications.',
      rows: apps,
      columns: [
        { label: 'Application', render: (a) => h('span', {}, h('strong', {}, a.name),
          a.description ? h('span', { class: 'sub' }, a.description) : null,
          h('code', { class: 'sub id-value' }, a.clientId)) },
        { label: 'Scopes', render: (a) => h('ul', { class: 'plain tags' }, (a.scopes || []).map((s) => h('li', {}, s))) },
        { label: 'Secret age', render: (a) => since(a.secretAgeDays) },
        { label: 'Last activity', render: lastActivity },
        { label: 'Webhooks', render: (a) => ((a.webhooks || []).length
          ? h('ul', { class: 'plain' }, a.webhooks.map((w) => h('li', {},
            h('a', { href: `/settings/webhooks/${w.guid}` }, w.name), ' ',
            badge(w.enabled ? (w.health?.status || 'UNKNOWN') : 'DISABLED'),
            h('span', { class: 'sub' }, w.targetUrl))))
          : 'none') },
      ],
    }),
  });
  root.append(listing.node);
  await listing.first();
}
