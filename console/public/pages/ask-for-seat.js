// @ts-check
// Opened from the page that refused a sign-in for want of a seat: the person asks the
// administrators for one, with an optional note. The link's ticket (in the URL fragment, never sent
// to a server by the browser) stands for the identity that sign-in asserted; it works once.
/* global location, history, HTMLTextAreaElement */
import { call } from '../http.js';
import { h, replace } from '../dom.js';
import { problemText } from './member-csv.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  // The secret leaves the address bar (and the history) at once.
  if (location.hash) history.replaceState(null, '', location.pathname);
  if (!token) {
    replace(
      ctx.main,
      h('h1', {}, 'Ask for a seat'),
      h(
        'p',
        {},
        'This page is opened from the page that refused your sign-in. Sign in again to be offered the link.',
      ),
    );
    return;
  }
  const note = /** @type {HTMLTextAreaElement} */ (
    h('textarea', { id: 'seat-note', maxlength: 500, rows: 3 })
  );
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card' },
    h(
      'p',
      {},
      'Your organisation had no seat free when you signed in. Your administrators will be told that you asked, and you will get an email with their answer.',
    ),
    h('label', { for: 'seat-note' }, 'Note for your administrators (optional)'),
    note,
    h('button', { type: 'submit', class: 'primary' }, 'Ask for a seat'),
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
          h('h1', {}, 'Ask for a seat'),
          h(
            'p',
            { role: 'status', 'data-testid': 'seat-asked' },
            `Your request was sent to the administrators of ${answer.organisation.name}. You will get an email with their answer.`,
          ),
        );
      } catch (error) {
        replace(status, h('p', { class: 'error', role: 'alert' }, problemText(error)));
      }
    })();
  });
  replace(ctx.main, h('h1', {}, 'Ask for a seat'), form);
  await Promise.resolve();
}
