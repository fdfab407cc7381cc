// Shared page parts: headings, tables that stack at phone width, pagination, status and
// error messages, confirmation dialogs, copy buttons and auto-refresh.
import { h, clear, uid } from './dom.js';

export function setTitle(title) {
  document.title = `${title} - Workspace Settings - arenite`;
}

export function pageHeader(title, ...actions) {
  setTitle(title);
  return h('div', { class: 'page-head' }, h('h1', {}, title),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function linkButton(href, label, kind = 'primary') {
  return h('a', { class: `btn ${kind}`, href }, label);
}

export function button(label, onclick, kind = 'secondary', extra = {}) {
  return h('button', { type: 'button', class: `btn ${kind}`, onclick, ...extra }, label);
}

// ISO-8601 UTC as "2026-12-03 09:41:15 UTC"; a dash for null.
export function fmtDate(iso) {
  if (!iso) return '—';
  return h('time', { datetime: iso }, iso.replace('T', ' ').replace('Z', ' UTC'));
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const BADGE = {
  good: ['HEALTHY', 'DELIVERED', 'Completed', 'ACTIVE', 'ENABLED'],
  bad: ['FAILING', 'FAILED', 'Failed', 'AUTH_REJECTED', 'DEACTIVATED', 'GONE'],
  warn: ['RETRYING', 'PENDING', 'InProcess', 'Aborted', 'UNKNOWN'],
};

export function badge(text, kind) {
  let k = kind;
  if (!k) k = Object.keys(BADGE).find((key) => BADGE[key].includes(text)) || 'plain';
  return h('span', { class: `badge ${k}` }, text);
}

// A table whose rows stack as labelled cards at phone width.
// columns: [{label, render: (row) => node|string, class?}]
export function table({ caption, columns, rows, empty = 'Nothing here yet.' }) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('table', { class: 'list' },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map((row) => {
      const tr = h('tr', {}, columns.map((c) =>
        h('td', { 'data-label': c.label, class: c.class }, c.render(row))));
      return tr;
    })));
}

// The live region where outcomes are announced ("Saved", "Deleted").
export function statusRegion() {
  return h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

export function say(region, message, kind = 'ok') {
  clear(region);
  if (message) region.append(h('p', { class: `note ${kind}` }, message));
}

export function alertBox(message) {
  return h('div', { class: 'note error', role: 'alert' }, message);
}

// Loads and renders one page of a list at a time, with Previous / Next.
// load(offset, limit) resolves to {count, results}; render(results) returns the node.
export function pagedList({ limit = 20, load, render, label }) {
  const box = h('div', { class: 'paged' });
  const body = h('div');
  const info = h('span', { class: 'page-info', 'aria-live': 'polite' });
  const prev = button('Previous', () => go(state.offset - limit), 'secondary');
  const next = button('Next', () => go(state.offset + limit), 'secondary');
  const nav = h('nav', { class: 'pager', 'aria-label': `${label} pages` }, prev, info, next);
  box.append(body, nav);
  const state = { offset: 0, count: 0, busy: false };

  async function go(offset, quiet = false) {
    if (state.busy) return;
    state.busy = true;
    try {
      const page = await load(Math.max(0, offset), limit);
      state.offset = Math.max(0, offset);
      state.count = page.count;
      if (!page.count && state.offset > 0 && !quiet) {
        state.busy = false;
        return go(state.offset - limit);
      }
      body.replaceChildren(render(page.results));
      const first = page.count ? state.offset + 1 : 0;
      info.textContent = page.count ? `${first}–${state.offset + page.count}` : 'none';
      prev.disabled = state.offset === 0;
      next.disabled = page.count < limit;
      nav.hidden = state.offset === 0 && page.count < limit;
    } catch (e) {
      body.replaceChildren(alertBox(e.message));
    } finally {
      state.busy = false;
    }
    return undefined;
  }
  return { node: box, reload: (quiet) => go(state.offset, quiet), first: () => go(0) };
}

// A modal confirmation; resolves true when confirmed. Esc or Cancel resolves false.
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false, extra }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' });
    const done = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const form = h('form', { method: 'dialog' },
      h('h2', { id: titleId }, title),
      h('p', {}, message),
      extra || null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => done(false) }, 'Cancel'),
        h('button', { type: 'submit', class: `btn ${danger ? 'danger' : 'primary'}` }, confirmLabel)));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      done(true);
    });
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    form.querySelector('button[type=submit]').focus();
  });
}

// A button that copies `text` and says so, for secrets and client IDs.
export function copyButton(text, what) {
  const btn = h('button', { type: 'button', class: 'btn secondary small' }, `Copy ${what}`);
  const said = h('span', { class: 'copied', role: 'status' });
  btn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      said.textContent = `${what[0].toUpperCase()}${what.slice(1)} copied.`;
    } catch {
      said.textContent = 'Copying is blocked here: select the text and copy it by hand.';
    }
  });
  return h('span', { class: 'copy' }, btn, said);
}

// The one-time display of a secret, with copy buttons and the warning.
export function secretOnce({ heading, items, warning, after }) {
  const headingId = uid('secret');
  return h('section', { class: 'secret-once', 'aria-labelledby': headingId },
    h('h2', { id: headingId, tabindex: '-1' }, heading),
    h('p', { class: 'note warn', role: 'alert' }, h('strong', {}, 'Copy it now. '), warning),
    h('dl', { class: 'secrets' }, items.map(({ label, value, secret }) => [
      h('dt', {}, label),
      h('dd', {}, h('code', { class: secret ? 'secret-value' : 'id-value' }, value), ' ',
        copyButton(value, label[0].toLowerCase() + label.slice(1))),
    ])),
    after || null);
}

// Calls fn every `ms` while the page is visible and the box is checked; returns the control.
export function autoRefresh(fn, ms, label = 'Refresh automatically') {
  const id = uid('auto');
  const box = h('input', { type: 'checkbox', id, checked: true });
  let timer = null;
  const tick = async () => {
    timer = null;
    if (box.checked && !document.hidden && document.body.contains(box)) {
      try {
        await fn();
      } catch {
        // the next tick tries again
      }
    }
    if (document.body.contains(box)) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return h('p', { class: 'auto' }, box, h('label', { for: id }, `${label} (every ${ms / 1000} s)`));
}

export function since(days) {
  if (days === null || days === undefined) return '—';
  if (days === 0) return 'today';
  return days === 1 ? '1 day' : `${days} days`;
}
