// @ts-check
// Seat requests for administrators: who asked for which tier (and why), granted here in one step
// (the seat is given at once, or the answer says what to buy) or declined with an optional reason.
/* global HTMLInputElement */
import { call } from '../http.js';
import { t } from '../i18n.js';
import { h, pageProblem, problemOf, replace } from '../dom.js';
import { may } from '../shell.js';
import { problemText } from './member-csv.js';

/**
 * @typedef {{ id: number, memberId: number | null, email: string, displayName: string | null,
 *   tier: string, note: string | null, origin: 'member' | 'sign_in', status: 'open' | 'granted' | 'declined',
 *   createdAt: string, decidedAt: string | null, reason: string | null }} SeatRequest
 */

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
    replace(ctx.main, h('h1', {}, t('seatRequests.title')), pageProblem(error));
    return;
  }
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'seat-request-status' });
  if (said) replace(status, h('p', { role: 'status', class: 'notice ok' }, said));
  said = null;
  const redraw = () => void render(ctx);
  const owner = ctx.session ? may(ctx.session.role, 'owner') : false;
  replace(
    ctx.main,
    h('h1', {}, t('seatRequests.title')),
    h('p', {}, t('seatRequests.intro')),
    status,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { 'data-testid': 'seat-requests' },
        h('caption', {}, t('seatRequests.title')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['who', 'tier', 'note', 'asked', 'status', null].map((c) =>
              h('th', { scope: 'col' }, c ? t(`seatRequests.col.${c}`) : ''),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          requests.length === 0
            ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, t('seatRequests.empty')))
            : requests.map((r) => row(r, status, redraw, owner)),
        ),
      ),
    ),
  );
}

function row(
  /** @type {SeatRequest} */ r,
  /** @type {HTMLElement} */ status,
  /** @type {() => void} */ redraw,
  /** @type {boolean} */ owner,
) {
  const actions = h('td', {});
  if (r.status === 'open') {
    const grant = h('button', { type: 'button', class: 'primary' }, t('seatRequests.grant'));
    const decline = h('button', { type: 'button' }, t('seatRequests.decline'));
    const reason = /** @type {HTMLInputElement} */ (
      h('input', {
        type: 'text',
        maxlength: 500,
        'aria-label': t('seatRequests.reasonLabel', { email: r.email }),
        placeholder: t('seatRequests.reasonPlaceholder'),
      })
    );
    grant.addEventListener(
      'click',
      () =>
        void act(
          `/seat-requests/${r.id}/grant`,
          undefined,
          t('seatRequests.granted', { email: r.email, tier: r.tier }),
        ),
    );
    decline.addEventListener(
      'click',
      () =>
        void act(
          `/seat-requests/${r.id}/decline`,
          { reason: reason.value || null },
          t('seatRequests.declined', { email: r.email }),
        ),
    );
    replace(actions, grant, ' ', reason, ' ', decline);
  } else {
    replace(actions, r.reason ? t('seatRequests.reason', { reason: r.reason }) : '');
  }

  async function act(/** @type {string} */ path, /** @type {unknown} */ body, /** @type {string} */ done) {
    for (const b of actions.querySelectorAll('button')) b.disabled = true;
    try {
      await call('POST', path, body);
      said = done;
      redraw();
    } catch (error) {
      for (const b of actions.querySelectorAll('button')) b.disabled = false;
      // No seat free: the way on is a purchase, which owners make on the billing page.
      const buy =
        problemOf(error).code === 'seats_exhausted' && owner
          ? [' ', h('a', { href: '/console/billing', 'data-testid': 'buy-seats' }, t('seatRequests.buy'))]
          : [];
      replace(status, h('p', { role: 'alert', class: 'error' }, problemText(error), ...buy));
    }
  }

  return h(
    'tr',
    { 'data-request': String(r.id) },
    h(
      'td',
      {},
      r.displayName ? `${r.displayName} (${r.email})` : r.email,
      r.origin === 'sign_in' ? t('seatRequests.refusedAtSignIn') : '',
    ),
    h('td', {}, r.tier),
    h('td', {}, r.note ?? '—'),
    h('td', {}, new Date(r.createdAt).toLocaleString()),
    h('td', {}, t(`seatRequests.status.${r.status}`)),
    actions,
  );
}
