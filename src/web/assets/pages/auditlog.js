// The audit log: who changed which setting, newest first (GET /v1/settings/auditlog).
import { h } from '../lib/dom.js';
import { get, query } from '../lib/api.js';
import { pageHeader, table, pagedList, fmtDate } from '../lib/ui.js';

export async function list(root) {
  root.append(pageHeader('Audit log'),
    h('p', { class: 'lead' }, 'Changes to OAuth applications, their secrets and the workspace\'s OAuth settings, newest first.'));
  const listing = pagedList({
    label: 'Audit log',
    limit: 50,
    load: (offset, limit) => get(`/v1/settings/auditlog${query({ offset, limit })}`),
    render: (entries) => table({
      caption: 'Audit entries',
      empty: 'Nothing has been recorded yet.',
      rows: entries,
      columns: [
        { label: 'Time', render: (e) => fmtDate(e.creationDateTime) },
        { label: 'Actor', render: (e) => h('code', {}, e.actor) },
        { label: 'Action', render: (e) => e.action },
        { label: 'Object', render: (e) => h('span', {}, e.object.name || e.object.guid,
          h('span', { class: 'sub' }, e.object.type)) },
        { label: 'Address', render: (e) => e.address || '—' },
      ],
    }),
  });
  root.append(listing.node);
  await listing.first();
}
