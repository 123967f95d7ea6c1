// @ts-check
// Building the console's pages: elements from tags, properties and children (text is always set as
// text, never parsed as HTML), labelled form fields with a place for their error, problem documents
// shown next to the field each error points at, confirmation dialogs, and status messages.
/* global document, HTMLElement, HTMLInputElement, HTMLSelectElement, HTMLTextAreaElement */
import { t } from './i18n.js';

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Child | (Child | Child[] | (Child | Child[])[])[]} Children nested lists are flattened */

/**
 * An element with attributes (strings, booleans), event handlers (`onclick`) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | null | undefined | ((event: any) => void)>} [props]
 * @param {...Children} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value' && 'value' in element) {
      /** @type {HTMLInputElement} */ (element).value = String(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (text, numbers, nodes, nested lists; nothing for null/false). */
export function append(/** @type {Node} */ parent, /** @type {Children[]} */ children) {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child);
    else if (child !== null && child !== undefined && child !== false) {
      parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
  }
}

/** Replaces every child of `parent`. */
export function replace(/** @type {Node} */ parent, /** @type {Children[]} */ ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

let ids = 0;
/** A document-unique id for label/field and field/error links. */
export function uid(/** @type {string} */ prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * @typedef {object} FieldSpec
 * @property {string} label what the field is called, as a screen reader says it
 * @property {string} name the form field, and the JSON Pointer (`/name`) its errors use
 * @property {string} [pointer] when errors point elsewhere than `/name`
 * @property {'text' | 'email' | 'number' | 'search' | 'date' | 'datetime-local' | 'password' | 'url'} [type]
 * @property {string | number} [value]
 * @property {boolean} [required]
 * @property {string} [hint] help under the label
 * @property {string} [placeholder]
 * @property {string} [autocomplete]
 * @property {number} [min]
 * @property {number} [max]
 * @property {{ value: string, label: string }[]} [options] a select instead of an input
 * @property {number} [rows] a textarea of this many rows instead of an input
 */

/**
 * A labelled input, select or textarea with a hint and an error slot tied to it by
 * aria-describedby, so the error is read out with the field.
 * @param {FieldSpec} spec
 */
export function field(spec) {
  const id = uid(`f-${spec.name.replace(/[^\w-]/g, '-')}`);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [spec.hint ? hintId : null, errorId].filter(Boolean).join(' ');
  /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
  let control;
  const common = {
    id,
    name: spec.name,
    required: spec.required ?? false,
    'aria-describedby': describedBy,
    'data-pointer': spec.pointer ?? `/${spec.name}`,
  };
  if (spec.options) {
    control = h(
      'select',
      common,
      spec.options.map((o) =>
        h('option', { value: o.value, selected: String(spec.value ?? '') === o.value }, o.label),
      ),
    );
  } else if (spec.rows) {
    control = h('textarea', { ...common, rows: spec.rows, placeholder: spec.placeholder });
    control.value = String(spec.value ?? '');
  } else {
    control = h('input', {
      ...common,
      type: spec.type ?? 'text',
      value: spec.value,
      placeholder: spec.placeholder,
      autocomplete: spec.autocomplete,
      min: spec.min,
      max: spec.max,
      inputmode: spec.type === 'number' ? 'numeric' : undefined,
    });
  }
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, spec.label),
    spec.hint ? h('p', { class: 'hint', id: hintId }, spec.hint) : null,
    control,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** A form's values as strings, by field name. */
export function values(/** @type {HTMLFormElement} */ form) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const element of Array.from(form.elements)) {
    if (
      (element instanceof HTMLInputElement ||
        element instanceof HTMLSelectElement ||
        element instanceof HTMLTextAreaElement) &&
      element.name
    ) {
      out[element.name] = element.value;
    }
  }
  return out;
}

/** Clears the errors `showProblem` put on a form. */
export function clearErrors(/** @type {HTMLElement} */ form) {
  for (const slot of Array.from(form.querySelectorAll('.field-error'))) {
    slot.textContent = '';
    slot.setAttribute('hidden', '');
  }
  for (const control of Array.from(form.querySelectorAll('[aria-invalid]'))) {
    control.removeAttribute('aria-invalid');
  }
  form.querySelector(':scope > .form-problem')?.remove();
}

/**
 * Shows an error from the API on a form: each `errors[]` entry next to the field its JSON Pointer
 * names (the field is marked invalid and focused), everything else in a summary at the top. A
 * problem without `errors[]` whose code the form knows (`fieldOf`: code → pointer, e.g. an address
 * on an unverified domain → `/email`) goes next to that field.
 * @param {HTMLElement} form
 * @param {unknown} error an ApiError, or anything thrown
 * @param {Record<string, string>} [fieldOf]
 */
export function showProblem(form, error, fieldOf = {}) {
  clearErrors(form);
  const problem = problemOf(error);
  const known = fieldOf[problem.code];
  const items =
    problem.errors && problem.errors.length > 0
      ? problem.errors
      : known && problem.detail
        ? [{ pointer: known, detail: problem.detail }]
        : [];
  /** @type {string[]} */
  const unplaced = [];
  /** @type {HTMLElement | null} */
  let first = null;
  for (const item of items) {
    const control = findControl(form, item.pointer);
    const slot = control ? document.getElementById(`${control.id}-error`) : null;
    if (control && slot) {
      slot.textContent = item.detail;
      slot.removeAttribute('hidden');
      control.setAttribute('aria-invalid', 'true');
      first ??= control;
    } else {
      unplaced.push(
        item.pointer && item.pointer !== '/' ? `${item.pointer.slice(1)}: ${item.detail}` : item.detail,
      );
    }
  }
  const placed = first !== null;
  // Placed next to its field, a detail is not repeated in the summary.
  if (!placed || unplaced.length > 0) {
    const lead = placed ? t('problem.fields') : (problem.detail ?? problem.title ?? t('problem.generic'));
    const list = unplaced.filter((text) => text !== lead);
    form.prepend(
      h(
        'div',
        { class: 'form-problem', role: 'alert' },
        h('p', {}, lead),
        list.length > 0
          ? h(
              'ul',
              {},
              list.map((text) => h('li', {}, text)),
            )
          : null,
        problem.code && problem.code !== 'error'
          ? h('p', { class: 'problem-code' }, `${t('problem.code')} `, h('code', {}, problem.code))
          : null,
      ),
    );
  }
  first?.focus();
}

/** The control whose `data-pointer` is the pointer, or the closest parent pointer's. */
function findControl(/** @type {HTMLElement} */ form, /** @type {string} */ pointer) {
  let at = pointer;
  while (at && at !== '/') {
    const found = form.querySelector(`[data-pointer="${CSS.escape(at)}"]`);
    if (found instanceof HTMLElement) return found;
    at = at.slice(0, at.lastIndexOf('/'));
  }
  return null;
}

/**
 * The problem document of an error, or one made up for an unexpected exception.
 * @param {unknown} error
 * @returns {import('./http.js').Problem}
 */
export function problemOf(error) {
  if (error && typeof error === 'object' && 'problem' in error) {
    return /** @type {import('./http.js').Problem} */ (error.problem);
  }
  return {
    status: 0,
    code: 'client_error',
    detail: error instanceof Error ? error.message : t('problem.generic'),
  };
}

/**
 * Runs `action` on submit with the form's buttons disabled, showing any problem on the form.
 * @param {HTMLFormElement} form
 * @param {(values: Record<string, string>) => Promise<void>} action
 * @param {Record<string, string>} [fieldOf] problem code → the pointer of the field it is about
 */
export function onSubmit(form, action, fieldOf = {}) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = Array.from(form.querySelectorAll('button'));
    clearErrors(form);
    form.setAttribute('aria-busy', 'true');
    for (const b of buttons) b.disabled = true;
    action(values(form))
      .catch((error) => showProblem(form, error, fieldOf))
      .finally(() => {
        form.removeAttribute('aria-busy');
        for (const b of buttons) b.disabled = false;
      });
  });
}

/**
 * Asks a yes/no question in a modal dialog (native <dialog>: focus is kept inside, Escape cancels).
 * @param {{ title: string, body: Children, confirm: string, danger?: boolean }} spec
 * @returns {Promise<boolean>}
 */
export function confirmDialog(spec) {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'confirm' });
    const done = (/** @type {boolean} */ answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    append(dialog, [
      h('h2', { id: titleId }, spec.title),
      h('div', { class: 'dialog-body' }, spec.body),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', class: spec.danger ? 'danger' : 'primary', onclick: () => done(true) },
          spec.confirm,
        ),
        h('button', { type: 'button', onclick: () => done(false) }, t('dialog.cancel')),
      ),
    ]);
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A message in the page's status region (read out politely by screen readers). */
export function notice(/** @type {Children} */ message, /** @type {'ok' | 'error'} */ kind = 'ok') {
  const region = document.getElementById('status');
  if (!region) return;
  replace(region, h('p', { class: `notice ${kind}` }, message));
}

/** Clears the status region (when leaving a page). */
export function clearNotice() {
  const region = document.getElementById('status');
  if (region) replace(region);
}

/** A page's error (loading failed, or not allowed) in place of its content. */
export function pageProblem(/** @type {unknown} */ error) {
  const problem = problemOf(error);
  if (problem.status === 403) {
    return h(
      'section',
      { class: 'page-problem', role: 'alert', 'data-status': '403' },
      h('h2', {}, t('problem.forbidden')),
      h('p', {}, problem.detail ?? t('problem.forbiddenDetail')),
      problem.requiredRole ? whoMay(problem.requiredRole) : null,
    );
  }
  return h(
    'section',
    { class: 'page-problem', role: 'alert', 'data-status': String(problem.status) },
    h('h2', {}, problem.status === 404 ? t('problem.notFound') : t('problem.notLoaded')),
    h('p', {}, problem.detail ?? problem.title ?? t('problem.generic')),
    problem.code
      ? h('p', { class: 'problem-code' }, `${t('problem.code')} `, h('code', {}, problem.code))
      : null,
  );
}

/** "Who may: **Owner** and above. …", the role in bold wherever the language puts it. */
function whoMay(/** @type {string} */ role) {
  const marker = '\u0000';
  const [before = '', after = ''] = t('problem.whoMay', { role: marker }).split(marker);
  return h('p', {}, before, h('strong', {}, roleName(role)), after);
}

/** How the console names a role. */
export function roleName(/** @type {string} */ role) {
  const key = `role.${role}`;
  const said = t(key);
  return said === key ? role.replace(/_/g, ' ') : said;
}

/** A simple table: caption, headers, rows of cells. */
export function table(
  /** @type {string} */ caption,
  /** @type {string[]} */ headers,
  /** @type {Children[][]} */ rows,
  /** @type {{ empty?: string, numeric?: number[] }} */ options = {},
) {
  const numeric = new Set(options.numeric ?? []);
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((text, i) => h('th', { scope: 'col', class: numeric.has(i) ? 'num' : undefined }, text)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, options.empty ?? t('table.empty')))
        : rows.map((cells) =>
            h(
              'tr',
              {},
              cells.map((cell, i) => h('td', { class: numeric.has(i) ? 'num' : undefined }, cell)),
            ),
          ),
    ),
  );
}
