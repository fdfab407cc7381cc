// DataExtract: the extract definitions, Run now, each extract's runs with their progress
// (refreshed while a run is in process) and the package download.
import { h } from '../lib/dom.js';
import { get, post, del, query } from '../lib/api.js';
import { pageHeader, button, table, pagedList, statusRegion, say, confirmDialog, badge,
  fmtDate, fmtBytes, autoRefresh, linkButton } from '../lib/ui.js';
import { field, choices, onSubmit, valueOf, checked, showFieldError } from '../lib/forms.js';

export const VIEWS = [
  ['Items_Summary', 'one row per item revision'],
  ['Items_BOM', 'BOM lines'],
  ['Items_Sourcing', 'sourcing of item revisions'],
  ['Changes_Summary', 'one row per change'],
  ['Changes_Items', 'affected items of changes'],
  ['Suppliers_Summary', 'one row per supplier'],
  ['Supplier_Items_Summary', 'one row per supplier item'],
];

export function viewChoices(name = 'views', selected = []) {
  return choices({ legend: 'Views', name, required: true, match: 'view',
    hint: 'Each view is one CSV file in the package.',
    options: VIEWS.map(([value, hint]) => ({ value, label: value, hint, checked: selected.includes(value) })) });
}

export async function list(root) {
  const region = statusRegion();
  root.append(pageHeader('DataExtract'), region,
    h('p', { class: 'lead' }, 'Extracts package workspace data as a ZIP of CSV files, one per view. A FULL run holds every row; a FULL_DELTA run holds the rows changed since the previous run.'));

  const listing = pagedList({
    label: 'Extracts',
    load: (offset, limit) => get(`/v1/extracts${query({ offset, limit })}`),
    render: (extracts) => table({
      caption: 'Extract definitions',
      empty: 'No extract is defined yet.',
      rows: extracts,
      columns: [
        { label: 'Name', render: (x) => h('a', { href: `/settings/extracts/${x.guid}` }, x.name) },
        { label: 'Views', render: (x) => h('ul', { class: 'plain' }, x.views.map((v) => h('li', {}, v))) },
        { label: 'Type', render: (x) => x.type },
        { label: 'Format', render: (x) => x.format },
        { label: 'Actions', class: 'row-actions', render: (x) => h('div', { class: 'actions' },
          button('Run now', () => runNow(x), 'primary', { 'aria-label': `Run ${x.name} now` }),
          linkButton(`/settings/extracts/${x.guid}`, 'Runs', 'secondary'),
          button('Delete', () => remove(x), 'danger', { 'aria-label': `Delete ${x.name}` })) },
      ],
    }),
  });

  async function runNow(extract) {
    try {
      await post(`/v1/extracts/${extract.guid}/runs`);
      location.assign(`/settings/extracts/${extract.guid}`);
    } catch (e) {
      say(region, e.message, 'error');
    }
  }

  async function remove(extract) {
    const ok = await confirmDialog({ title: `Delete ${extract.name}?`,
      message: 'The definition, its runs and their packages are removed.',
      confirmLabel: 'Delete extract', danger: true });
    if (!ok) return;
    try {
      await del(`/v1/extracts/${extract.guid}`);
      say(region, `${extract.name} was deleted.`);
      await listing.reload();
    } catch (e) {
      say(region, e.message, 'error');
    }
  }

  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-extract' },
    h('h2', { id: 'new-extract' }, 'New extract'),
    h('div', { class: 'form-error' }),
    field({ label: 'Name', name: 'name', required: true, attrs: { maxlength: 200 } }),
    viewChoices(),
    choices({ legend: 'Type', name: 'type', type: 'radio', options: [
      { value: 'FULL', label: 'FULL', hint: 'every row, every run', checked: true },
      { value: 'FULL_DELTA', label: 'FULL_DELTA', hint: 'after the first run, only rows inserted, updated or deleted since' }] }),
    field({ label: 'Format', name: 'format', type: 'select', value: 'RFC4180', options: [
      { value: 'RFC4180', label: 'RFC 4180 CSV' }, { value: 'DATAEXTRACT', label: 'Arena DataExtract CSV' }] }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Create extract')));
  onSubmit(form, async () => {
    const name = valueOf(form, 'name').trim();
    if (!name) return showFieldError(form, 'name', 'Give the extract a name.');
    const views = checked(form, 'views');
    if (!views.length) return showFieldError(form, 'views', 'Choose at least one view.');
    const created = await post('/v1/extracts', { name, views, type: valueOf(form, 'type'),
      format: valueOf(form, 'format') });
    form.reset();
    say(region, `${created.name} was created.`);
    await listing.reload();
    return undefined;
  });

  root.append(listing.node, form);
  await listing.first();
}

function progressOf(run) {
  const { rowsWritten, rowsEstimate } = run.progress || {};
  if (run.status !== 'InProcess') return `${rowsWritten ?? 0} rows`;
  const label = rowsEstimate ? `${rowsWritten} of about ${rowsEstimate} rows` : `${rowsWritten} rows so far`;
  const bar = h('progress', { max: rowsEstimate || 100, 'aria-label': `Progress: ${label}` });
  if (rowsEstimate) bar.value = Math.min(rowsWritten, rowsEstimate);
  else bar.removeAttribute('value');
  return h('span', { class: 'progress' }, bar, h('span', {}, label));
}

export async function detail(root, { params }) {
  const [guid] = params;
  const extract = await get(`/v1/extracts/${guid}`);
  const region = statusRegion();
  const runButton = button('Run now', runNow, 'primary');
  root.append(pageHeader(extract.name, runButton, linkButton('/settings/extracts', 'All extracts', 'secondary')),
    region,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Views'), h('dd', {}, extract.views.join(', ')),
      h('dt', {}, 'Type'), h('dd', {}, extract.type),
      h('dt', {}, 'Format'), h('dd', {}, extract.format),
      h('dt', {}, 'Created'), h('dd', {}, fmtDate(extract.creationDateTime))));

  let inProcess = false;
  const runs = pagedList({
    label: 'Runs',
    load: async (offset, limit) => {
      const page = await get(`/v1/extracts/${guid}/runs${query({ offset, limit })}`);
      inProcess = page.results.some((r) => r.status === 'InProcess');
      return page;
    },
    render: (list) => table({
      caption: 'Runs, newest first',
      empty: 'This extract has not run yet.',
      rows: list,
      columns: [
        { label: 'Started', render: (r) => fmtDate(r.creationDateTime) },
        { label: 'Type', render: (r) => r.type },
        { label: 'Status', render: (r) => h('span', { class: 'run-status' }, badge(r.status),
          r.failureReason ? h('span', { class: 'sub' }, r.failureReason) : null) },
        { label: 'Progress', render: progressOf },
        { label: 'Completed', render: (r) => fmtDate(r.completionDateTime) },
        { label: 'Package', render: (r) => (r.files.length
          ? h('ul', { class: 'plain' }, r.files.map((f) => h('li', {},
            h('a', { href: `/v1/extracts/${guid}/runs/${r.guid}/files/${f.guid}/content`, download: f.name,
              class: 'download' }, `Download ${f.name}`), ` (${fmtBytes(f.size)})`)))
          : r.status === 'InProcess' ? button('Abort', () => abort(r), 'secondary') : '—') },
      ],
    }),
  });
  const heading = h('h2', {}, 'Runs');
  root.append(heading, autoRefresh(async () => { if (inProcess) await runs.reload(true); }, 1500,
    'Refresh while a run is in process'), runs.node);
  await runs.first();

  async function runNow() {
    runButton.disabled = true;
    try {
      await post(`/v1/extracts/${guid}/runs`);
      say(region, 'The run has started.');
      await runs.first();
    } catch (e) {
      say(region, e.message, 'error');
    } finally {
      runButton.disabled = false;
    }
  }

  async function abort(run) {
    try {
      await del(`/v1/extracts/${guid}/runs/${run.guid}`);
      say(region, 'The run is being aborted.');
      await runs.reload();
    } catch (e) {
      say(region, e.message, 'error');
    }
  }
}
