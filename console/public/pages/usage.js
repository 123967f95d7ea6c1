// @ts-check
// Seat usage (administrators): per tier what is bought, seated, held by invitations, available; who
// waits for a seat; "Sync now", which seats the waiting first come, first served; and the owners'
// notice thresholds (owners change them).
import * as api from '../api.js';
import { count, instant, words } from '../format.js';
import { field, h, notice, onSubmit, pageProblem, replace, table } from '../dom.js';
import { t } from '../i18n.js';
import { may } from '../shell.js';
import { usageHistorySection } from '../usage-chart.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {import('../api.js').Usage} */
  let usage;
  try {
    usage = await api.usage();
  } catch (error) {
    replace(ctx.main, h('h1', {}, t('usage.title')), pageProblem(error));
    return;
  }
  const owner = ctx.session ? may(ctx.session.role, 'owner') : false;
  replace(ctx.main, h('h1', {}, t('usage.title')), ...sections(usage, owner, () => render(ctx)));
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
    h('button', { type: 'submit' }, t('usage.sync')),
    h('span', { class: 'hint' }, ` ${t('usage.syncHint')}`),
  );
  onSubmit(sync, async () => {
    const { seated } = await api.syncNow();
    await reload();
    notice(t('usage.synced', { seated }));
  });

  const thresholds = h(
    'form',
    { novalidate: true },
    field({
      label: t('usage.thresholds'),
      name: 'thresholds',
      pointer: '/thresholds',
      value: usage.noticeThresholds.join(', '),
      hint: t('usage.thresholdsHint'),
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('usage.saveThresholds'))),
  );
  onSubmit(thresholds, async (v) => {
    const list = (v.thresholds ?? '')
      .split(/[\s,;%]+/)
      .filter(Boolean)
      .map(Number);
    const saved = await api.setThresholds(list);
    notice(
      saved.noticeThresholds.length > 0
        ? t('usage.thresholdsSaved', { list: saved.noticeThresholds.map((n) => `${n} %`).join(', ') })
        : t('usage.thresholdsOff'),
    );
  });

  const refused = usage.waiting.refused;
  return [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'tiers-heading' },
      h('h2', { id: 'tiers-heading' }, t('usage.perTier')),
      table(
        t('usage.perTier'),
        [
          t('usage.col.tier'),
          t('usage.col.bought'),
          t('usage.col.seated'),
          t('usage.col.invited'),
          t('usage.col.available'),
        ],
        usage.tiers.map((tier) => [
          tier.name,
          count(tier.allocation),
          count(tier.seated),
          count(tier.invited),
          count(tier.available),
        ]),
        { numeric: [1, 2, 3, 4] },
      ),
      h(
        'p',
        {},
        `${t('usage.waitingTotal')} `,
        h('strong', { 'data-testid': 'waiting-total' }, count(usage.waiting.total)),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'waiting-heading' },
      h('h2', { id: 'waiting-heading' }, t('usage.waitingList')),
      table(
        t('usage.awaiting'),
        [t('usage.col.name'), t('usage.col.email'), t('usage.col.source'), t('usage.col.since')],
        usage.waiting.awaitingSeat.map((m) => [
          m.displayName ?? '',
          m.email,
          words(m.source),
          instant(m.since),
        ]),
        { empty: t('usage.nobodyWaiting') },
      ),
      refused.length > 0
        ? table(
            t('usage.refused'),
            [
              t('usage.col.who'),
              t('usage.col.source'),
              t('usage.col.first'),
              t('usage.col.last'),
              t('usage.col.attempts'),
            ],
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
      h('h2', { id: 'thresholds-heading' }, t('usage.notices')),
      owner
        ? thresholds
        : h(
            'p',
            {},
            usage.noticeThresholds.length > 0
              ? t('usage.thresholdsAre', { list: usage.noticeThresholds.map((n) => `${n} %`).join(', ') })
              : t('usage.thresholdsOff'),
          ),
    ),
  ];
}
