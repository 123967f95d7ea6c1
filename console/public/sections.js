// @ts-check
// Pages made of sections (Identity and access): each section a card with its heading, loaded on its
// own (one that fails says why in its place, the others still work), buttons that make one change
// through the API (asking first when it cannot be undone) and say how it went, and a secret shown once.
import { copyButton } from './copy.js';
import { confirmDialog, h, notice, pageProblem, replace, uid } from './dom.js';
import { ApiError } from './http.js';
import { t } from './i18n.js';

/** A page section with its heading; its body is drawn by `fill`. */
export function card(/** @type {string} */ id, /** @type {string} */ title) {
  return h('section', { class: 'card', id, 'aria-labelledby': `${id}-heading`, 'data-title': title });
}

/** Replaces a section's body, keeping its heading. */
export function fill(
  /** @type {HTMLElement} */ section,
  /** @type {import('./dom.js').Children[]} */ ...children
) {
  const title = section.getAttribute('data-title') ?? '';
  replace(section, h('h2', { id: `${section.id}-heading` }, title), ...children);
}

/** Loads a section's data and draws it, or draws why it could not. */
export async function load(/** @type {HTMLElement} */ section, /** @type {() => Promise<void>} */ draw) {
  try {
    await draw();
  } catch (error) {
    // The shell asks to sign in again; the section has nothing to add.
    if (error instanceof ApiError && error.status === 401) throw error;
    fill(section, pageProblem(error));
  }
}

/** The message of anything thrown, for the status region. */
export function problemText(/** @type {unknown} */ error) {
  return error instanceof Error ? error.message : t('problem.generic');
}

/**
 * A new secret, with the warning that it is shown only now, and a button to copy it.
 * @param {string} what e.g. "API token"
 * @param {string} secret
 * @param {string} [note] why it cannot be shown again
 */
export function secretBox(what, secret, note = t('secret.note')) {
  const id = uid('secret');
  return h(
    'div',
    { class: 'issued', role: 'region', 'aria-labelledby': id },
    h('h3', { id }, t('secret.new', { what })),
    h('p', {}, note),
    h(
      'div',
      { class: 'copyable' },
      h(
        'output',
        { class: 'secret', 'data-testid': 'new-secret', 'aria-label': t('secret.new', { what }) },
        secret,
      ),
      copyButton(secret, what),
    ),
  );
}

/**
 * A button that makes one change through the API, after asking when `ask` is given. While the call
 * runs the button is disabled (a second click would make the change twice); then the status region
 * says what happened (or why not) and `then` redraws what changed.
 * @template T
 * @param {object} spec
 * @param {string} spec.label the button's text
 * @param {string} spec.name its accessible name, naming what it acts on (rows have several)
 * @param {boolean} [spec.danger]
 * @param {{ title: string, body: import('./dom.js').Children, confirm: string, danger?: boolean }} [spec.ask]
 * @param {() => Promise<T>} spec.run
 * @param {(result: T) => string} spec.said
 * @param {(result: T) => unknown} spec.then
 */
export function actionButton(spec) {
  const button = h(
    'button',
    { type: 'button', class: spec.danger ? 'danger' : undefined, 'aria-label': spec.name },
    spec.label,
  );
  const act = () => {
    button.disabled = true;
    spec.run().then(
      (result) => {
        notice(spec.said(result));
        void spec.then(result);
      },
      (error) => {
        button.disabled = false;
        notice(problemText(error), 'error');
      },
    );
  };
  button.addEventListener('click', () => {
    if (!spec.ask) act();
    else {
      void confirmDialog(spec.ask).then((yes) => {
        if (yes) act();
      });
    }
  });
  return button;
}
