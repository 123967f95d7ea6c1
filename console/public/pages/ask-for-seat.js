// @ts-check
// Opened from the page that refused a sign-in for want of a seat: the person asks the
// administrators for one, with an optional note. The link's ticket (in the URL fragment, never sent
// to a server by the browser) stands for the identity that sign-in asserted; it works once.
/* global location, history, HTMLTextAreaElement */
import { call } from '../http.js';
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import { problemText } from './member-csv.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  // The secret leaves the address bar (and the history) at once.
  if (location.hash) history.replaceState(null, '', location.pathname);
  if (!token) {
    replace(ctx.main, h('h1', {}, t('seatAsk.heading')), h('p', {}, t('seatAsk.refused.noTicket')));
    return;
  }
  const note = /** @type {HTMLTextAreaElement} */ (
    h('textarea', { id: 'seat-note', maxlength: 500, rows: 3 })
  );
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card' },
    h('p', {}, t('seatAsk.refused.intro')),
    h('label', { for: 'seat-note' }, t('seatAsk.note')),
    note,
    h('button', { type: 'submit', class: 'primary' }, t('seatAsk.submit')),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      try {
        const answer = /** @type {{ organisation: { name: string } }} */ (
          await call('POST', '/seat-requests/from-sign-in', { token, note: note.value || null })
        );
        replace(
          ctx.main,
          h('h1', {}, t('seatAsk.heading')),
          h(
            'p',
            { role: 'status', 'data-testid': 'seat-asked' },
            t('seatAsk.refused.sent', { organisation: answer.organisation.name }),
          ),
        );
      } catch (error) {
        replace(status, h('p', { class: 'error', role: 'alert' }, problemText(error)));
      }
    })();
  });
  replace(ctx.main, h('h1', {}, t('seatAsk.heading')), form);
  await Promise.resolve();
}
