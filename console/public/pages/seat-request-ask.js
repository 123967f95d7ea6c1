// @ts-check
// "Ask for a seat" on a member's own profile: the tiers they could ask for, an optional note, and
// their requests with what became of them (GET/POST /api/v1/seat-requests/mine, /seat-requests).
/* global HTMLSelectElement, HTMLTextAreaElement */
import { call } from '../http.js';
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import { problemText } from './member-csv.js';

/**
 * @typedef {import('./seat-requests.js').SeatRequest} SeatRequest
 * @typedef {{ requests: SeatRequest[], tiers: { id: string, name: string }[] }} Mine
 */

/**
 * The section, filled once the member's requests are read.
 * @param {{ seatState: string, tier: string | null }} member
 */
export function askForSeat(member) {
  const section = h('section', { class: 'card', 'aria-labelledby': 'ask-heading' });
  void draw();

  async function draw(/** @type {string | null} */ said = null) {
    /** @type {Mine} */
    let mine;
    try {
      mine = /** @type {Mine} */ (await call('GET', '/seat-requests/mine'));
    } catch (error) {
      replace(section, h('p', { class: 'error' }, problemText(error)));
      return;
    }
    const open = new Set(mine.requests.filter((r) => r.status === 'open').map((r) => r.tier));
    const askable = mine.tiers.filter(
      (t) => !(member.seatState === 'seated' && member.tier === t.id) && !open.has(t.id),
    );
    const tier = /** @type {HTMLSelectElement} */ (
      h(
        'select',
        { id: 'ask-tier', name: 'tier' },
        askable.map((t) => h('option', { value: t.id }, t.name)),
      )
    );
    const note = /** @type {HTMLTextAreaElement} */ (
      h('textarea', { id: 'ask-note', name: 'note', maxlength: 500, rows: 2 })
    );
    const status = h('div', { 'aria-live': 'polite' }, said ? h('p', { role: 'status' }, said) : null);
    const form = h(
      'form',
      {},
      h('label', { for: 'ask-tier' }, t('seatAsk.tier')),
      tier,
      h('label', { for: 'ask-note' }, t('seatAsk.note')),
      note,
      h('button', { type: 'submit', class: 'primary' }, t('seatAsk.submit')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void (async () => {
        try {
          await call('POST', '/seat-requests', { tier: tier.value, note: note.value || null });
          await draw(t('seatAsk.sent'));
        } catch (error) {
          replace(status, h('p', { class: 'error', role: 'alert' }, problemText(error)));
        }
      })();
    });
    replace(
      section,
      h('h2', { id: 'ask-heading' }, t('seatAsk.heading')),
      askable.length > 0 ? form : h('p', {}, t('seatAsk.nothing')),
      status,
      mine.requests.length === 0
        ? null
        : h(
            'ul',
            { 'data-testid': 'my-seat-requests' },
            mine.requests.map((r) =>
              h(
                'li',
                {},
                t(`seatAsk.status.${r.status}`, { tier: r.tier }),
                r.reason ? ` (“${r.reason}”)` : '',
              ),
            ),
          ),
    );
  }
  return section;
}
