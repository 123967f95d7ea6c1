// @ts-check
// Copy buttons for tokens and URLs: the Clipboard API (no inline script or handler attribute, so the
// strict CSP allows it), a visible "Copied" on the button and a polite live message for screen
// readers, and an accessible name that says what is copied ("Copy SCIM base URL").
/* global navigator, document, setTimeout, clearTimeout */
import { h } from './dom.js';
import { t } from './i18n.js';

/** How long the button says "Copied" before it offers to copy again. */
const CONFIRM_MS = 2000;

/**
 * Writes `text` to the clipboard: the Clipboard API where the page may use it (a secure context,
 * which 127.0.0.1 and https are), else a selected, off-screen textarea and the copy command.
 * @param {string} text
 * @returns {Promise<void>}
 */
async function writeClipboard(text) {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', { class: 'visually-hidden', readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  const done = document.execCommand('copy');
  area.remove();
  if (!done) throw new Error(t('copy.notAllowed'));
}

/**
 * A button that copies `text`, named after `what` it copies.
 * @param {string} text
 * @param {string} what e.g. "SCIM base URL"
 */
export function copyButton(text, what) {
  const label = h('span', {}, t('copy.copy'));
  const said = h('span', { class: 'visually-hidden', role: 'status' });
  const button = h(
    'button',
    { type: 'button', class: 'copy', 'aria-label': t('copy.label', { what }), 'data-copy': what },
    label,
  );
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  button.addEventListener('click', () => {
    writeClipboard(text).then(
      () => {
        label.textContent = t('copy.copied');
        button.classList.add('copied');
        said.textContent = t('copy.said', { what });
      },
      () => {
        label.textContent = t('copy.failed');
        said.textContent = t('copy.saidFailed', { what });
      },
    );
    clearTimeout(timer);
    timer = setTimeout(() => {
      label.textContent = t('copy.copy');
      button.classList.remove('copied');
      said.textContent = '';
    }, CONFIRM_MS);
  });
  return h('span', { class: 'copy-wrap' }, button, said);
}

/**
 * A value shown as code with its copy button beside it.
 * @param {string} text
 * @param {string} what
 * @param {Record<string, string>} [attributes] for the code element (a test id)
 */
export function copyable(text, what, attributes = {}) {
  return h('span', { class: 'copyable' }, h('code', attributes, text), copyButton(text, what));
}
