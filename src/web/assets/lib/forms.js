// Form fields with labels, hints and an error line beside each field, and the mapping of an
// API error to the field it names. A field's wrapper carries data-field="<API attribute>".
import { h, uid } from './dom.js';

function wrap(name, match, children) {
  return h('div', { class: 'field', 'data-field': name, 'data-match': match || null }, children);
}

function described(hintId, errorId) {
  return [hintId, errorId].filter(Boolean).join(' ');
}

// <label> + <input|textarea|select> + hint + error.
export function field({ label, name, type = 'text', required, hint, value, match, rows,
  options, attrs = {} }) {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const common = { id, name, required: !!required, 'aria-describedby': described(hintId, errorId),
    ...attrs };
  let control;
  if (type === 'textarea') {
    control = h('textarea', { rows: rows || 3, ...common });
    if (value) control.value = value;
  } else if (type === 'select') {
    control = h('select', common, options.map((o) =>
      h('option', { value: o.value, selected: o.value === value }, o.label)));
  } else {
    control = h('input', { type, value: value ?? null, ...common });
  }
  return wrap(name, match, [
    h('label', { for: id }, label, required ? h('span', { class: 'req' }, ' (required)') : null),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    control,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  ]);
}

// A fieldset of checkboxes or radios: options [{value, label, hint?, checked?}].
export function choices({ legend, name, type = 'checkbox', options, hint, match, required }) {
  const id = uid(name);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  return h('fieldset', { class: 'field choices', 'data-field': name, 'data-match': match || null,
    'aria-describedby': described(hintId, errorId) },
  h('legend', {}, legend, required ? h('span', { class: 'req' }, ' (required)') : null),
  hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
  h('div', { class: 'options' }, options.map((o) => {
    const oid = uid(name);
    const hid = o.hint ? `${oid}-hint` : null;
    return h('div', { class: 'option' },
      h('input', { type, id: oid, name, value: o.value, checked: !!o.checked, 'aria-describedby': hid }),
      h('label', { for: oid }, o.label),
      o.hint ? h('span', { class: 'hint', id: hid }, o.hint) : null);
  })),
  h('p', { class: 'field-error', id: errorId, hidden: true }));
}

export function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

export function valueOf(form, name) {
  const el = form.elements.namedItem(name);
  if (!el) return '';
  if (el instanceof RadioNodeList) return el.value;
  return el.value;
}

export function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const top = form.querySelector('.form-error');
  if (top) top.replaceChildren();
}

// Shows `message` beside the field `name`; returns false when the form has no such field.
export function showFieldError(form, name, message) {
  const wrapper = form.querySelector(`[data-field="${name}"]`);
  if (!wrapper || wrapper.hidden || wrapper.closest('[hidden]')) return false;
  const p = wrapper.querySelector('.field-error');
  p.textContent = message;
  p.hidden = false;
  const controls = wrapper.matches('fieldset') ? [wrapper] : wrapper.querySelectorAll('input, textarea, select');
  for (const c of controls) c.setAttribute('aria-invalid', 'true');
  const focusable = wrapper.querySelector('input, textarea, select');
  if (focusable) focusable.focus();
  return true;
}

// The field an API error message is about: `"name"`, `'name'`, `name: …`, `name must …` or
// the words in the field's data-match.
function fieldOf(form, message) {
  for (const wrapper of form.querySelectorAll('[data-field]')) {
    if (wrapper.hidden || wrapper.closest('[hidden]')) continue;
    const name = wrapper.dataset.field;
    const leaf = name.split('.').pop();
    const escaped = leaf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const patterns = [
      new RegExp(`["'\`]${escaped}["'\`]`),
      new RegExp(`^(\\w+\\.)*${escaped}(\\[\\d+\\])?(:| must| is| may)`),
    ];
    if (wrapper.dataset.match) patterns.push(new RegExp(wrapper.dataset.match, 'i'));
    if (patterns.some((re) => re.test(message))) return name;
  }
  return null;
}

// Puts an ApiError beside its field, or at the top of the form.
export function showApiError(form, error) {
  const name = error.status === 400 || error.status === 409 ? fieldOf(form, error.message) : null;
  if (name && showFieldError(form, name, error.message)) return;
  let top = form.querySelector('.form-error');
  if (!top) {
    top = h('div', { class: 'form-error' });
    form.prepend(top);
  }
  top.replaceChildren(h('p', { class: 'note error', role: 'alert' }, error.message));
}

// Runs the submit handler with the submit button disabled and errors cleared first.
export function onSubmit(form, handler) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const submit = form.querySelector('button[type=submit]');
    if (submit) submit.disabled = true;
    try {
      await handler(event);
    } catch (e) {
      showApiError(form, e);
    } finally {
      if (submit && document.body.contains(submit)) submit.disabled = false;
    }
  });
}

export function formError(form) {
  return h('div', { class: 'form-error' });
}

export { uid };
