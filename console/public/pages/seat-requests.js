// @ts-check
// Seat requests for administrators: who asked for which tier (and why), granted here in one step
// (the seat is given at once, or the answer says what to buy) or declined with an optional reason.
/* global HTMLInputElement */
import { call } from '../http.js';
import { h, pageProblem, replace } from '../dom.js';
import { problemText } from './member-csv.js';

/**
 * @typedef {{ id: number, memberId: number | null, email: string, displayName: string | null,
 *   tier: string, note: string | null, origin: 'member' | 'sign_in', status: 'open' | 'granted' | 'declined',
 *   createdAt: string, decidedAt: string | null, reason: string | null }} SeatRequest
 */

const STATUS = { open: 'Open', granted: 'Granted', declined: 'Declined' };

/** What the last grant or decline said, shown once the page is drawn again. */
/** @type {string | null} */
let said = null;

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {SeatRequest[]} */
  let requests;
  try {
    requests = /** @type {{ requests: SeatRequest[] }} */ (await call('GET', '/seat-requests')).requests;
  } catch (error) {
    replace(ctx.main, h('h1', {}, 'Seat requests'), pageProblem(error));
    return;
  }
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'seat-request-status' });
  if (said) replace(status, h('p', { role: 'status', class: 'notice ok' }, said));
  said = null;
  const redraw = () => void render(ctx);
  replace(
    ctx.main,
    h('h1', {}, 'Seat requests'),
    h(
      'p',
      {},
      'Members (and people refused at sign-in for want of a seat) ask here for a seat. Granting gives the seat at once; with none free, add seats in Billing first.',
    ),
    status,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { 'data-testid': 'seat-requests' },
        h('caption', {}, 'Seat requests'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Who', 'Tier', 'Note', 'Asked', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          requests.length === 0
            ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No seat requests.'))
            : requests.map((r) => row(r, status, redraw)),
        ),
      ),
    ),
  );
}

function row(
  /** @type {SeatRequest} */ r,
  /** @type {HTMLElement} */ status,
  /** @type {() => void} */ redraw,
) {
  const actions = h('td', {});
  if (r.status === 'open') {
    const grant = h('button', { type: 'button', class: 'primary' }, 'Grant');
    const decline = h('button', { type: 'button' }, 'Decline');
    const reason = /** @type {HTMLInputElement} */ (
      h('input', {
        type: 'text',
        maxlength: 500,
        'aria-label': `Reason for declining ${r.email} (optional)`,
        placeholder: 'Reason (optional)',
      })
    );
    grant.addEventListener(
      'click',
      () => void act(`/seat-requests/${r.id}/grant`, undefined, `Granted: ${r.email} has a ${r.tier} seat.`),
    );
    decline.addEventListener(
      'click',
      () =>
        void act(
          `/seat-requests/${r.id}/decline`,
          { reason: reason.value || null },
          `Declined the request of ${r.email}.`,
        ),
    );
    replace(actions, grant, ' ', reason, ' ', decline);
  } else {
    replace(actions, r.reason ? `Reason: ${r.reason}` : '');
  }

  async function act(/** @type {string} */ path, /** @type {unknown} */ body, /** @type {string} */ done) {
    for (const b of actions.querySelectorAll('button')) b.disabled = true;
    try {
      await call('POST', path, body);
      said = done;
      redraw();
    } catch (error) {
      for (const b of actions.querySelectorAll('button')) b.disabled = false;
      replace(status, h('p', { role: 'alert', class: 'error' }, problemText(error)));
    }
  }

  return h(
    'tr',
    { 'data-request': String(r.id) },
    h(
      'td',
      {},
      r.displayName ? `${r.displayName} (${r.email})` : r.email,
      r.origin === 'sign_in' ? ' — refused at sign-in' : '',
    ),
    h('td', {}, r.tier),
    h('td', {}, r.note ?? '—'),
    h('td', {}, new Date(r.createdAt).toLocaleString()),
    h('td', {}, STATUS[r.status]),
    actions,
  );
}
