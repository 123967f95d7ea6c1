// @ts-check
// Seat usage (administrators): per tier what is bought, seated, held by invitations, available; who
// waits for a seat; "Sync now", which seats the waiting first come, first served; and the owners'
// notice thresholds (owners change them).
import * as api from '../api.js';
import { count, instant, words } from '../format.js';
import { field, h, notice, onSubmit, pageProblem, replace, table } from '../dom.js';
import { may } from '../shell.js';
import { usageHistorySection } from '../usage-chart.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {import('../api.js').Usage} */
  let usage;
  try {
    usage = await api.usage();
  } catch (error) {
    replace(ctx.main, h('h1', {}, 'Seat usage'), pageProblem(error));
    return;
  }
  const owner = ctx.session ? may(ctx.session.role, 'owner') : false;
  replace(ctx.main, h('h1', {}, 'Seat usage'), ...sections(usage, owner, () => render(ctx)));
}

/**
 * @param {import('../api.js').Usage} usage
 * @param {boolean} owner
 * @param {() => Promise<void>} reload
 */
function sections(usage, owner, reload) {
  const sync = h(
    'form',
    { class: 'inline' },
    h('button', { type: 'submit' }, 'Sync now'),
    h('span', { class: 'hint' }, ' Seats members who wait, first come, first served, as far as seats allow.'),
  );
  onSubmit(sync, async () => {
    const { seated } = await api.syncNow();
    await reload();
    notice(seated === 1 ? '1 waiting member was seated.' : `${count(seated)} waiting members were seated.`);
  });

  const thresholds = h(
    'form',
    { novalidate: true },
    field({
      label: 'Notice thresholds (percent)',
      name: 'thresholds',
      pointer: '/thresholds',
      value: usage.noticeThresholds.join(', '),
      hint: 'Owners are mailed when a tier’s seats in use reach each of these, e.g. “80, 90, 100”. Empty turns the notices off.',
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save thresholds')),
  );
  onSubmit(thresholds, async (v) => {
    const list = (v.thresholds ?? '')
      .split(/[\s,;%]+/)
      .filter(Boolean)
      .map(Number);
    const saved = await api.setThresholds(list);
    notice(
      saved.noticeThresholds.length > 0
        ? `Owners are now told at ${saved.noticeThresholds.map((n) => `${n} %`).join(', ')}.`
        : 'Threshold notices are off.',
    );
  });

  const refused = usage.waiting.refused;
  return [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'tiers-heading' },
      h('h2', { id: 'tiers-heading' }, 'Seats per tier'),
      table(
        'Seats per tier',
        ['Tier', 'Bought', 'Seated', 'Held by invitations', 'Available'],
        usage.tiers.map((t) => [
          t.name,
          count(t.allocation),
          count(t.seated),
          count(t.invited),
          count(t.available),
        ]),
        { numeric: [1, 2, 3, 4] },
      ),
      h(
        'p',
        {},
        'Waiting for a seat: ',
        h('strong', { 'data-testid': 'waiting-total' }, count(usage.waiting.total)),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'waiting-heading' },
      h('h2', { id: 'waiting-heading' }, 'Waiting list'),
      table(
        'Members awaiting a seat',
        ['Name', 'Email', 'Source', 'Waiting since'],
        usage.waiting.awaitingSeat.map((m) => [
          m.displayName ?? '',
          m.email,
          words(m.source),
          instant(m.since),
        ]),
        { empty: 'Nobody is awaiting a seat.' },
      ),
      refused.length > 0
        ? table(
            'Refused for want of a seat',
            ['Who', 'Source', 'First attempt', 'Last attempt', 'Attempts'],
            refused.map((r) => [
              r.userName,
              words(r.source),
              instant(r.firstAttemptAt),
              instant(r.lastAttemptAt),
              count(r.attempts),
            ]),
            { numeric: [4] },
          )
        : null,
      sync,
    ),
    usageHistorySection(),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'thresholds-heading' },
      h('h2', { id: 'thresholds-heading' }, 'Usage notices'),
      owner
        ? thresholds
        : h(
            'p',
            {},
            usage.noticeThresholds.length > 0
              ? `Owners are told when a tier reaches ${usage.noticeThresholds.map((n) => `${n} %`).join(', ')} of its seats.`
              : 'Threshold notices are off.',
          ),
    ),
  ];
}
