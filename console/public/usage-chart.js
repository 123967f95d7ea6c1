// @ts-check
// Seat usage over time on the Seat usage page: per tier a line chart of the seats bought, held,
// seated and held by invitations on each day of the term so far (GET /usage/history), the same
// numbers as a table for screen readers and copying, and the CSV download (one row per day per
// tier). Drawn as SVG by this module: a chart library would need vendoring and inline styles or a
// canvas, while four lines a tier are a few polylines, and SVG attributes pass the strict CSP.
import * as api from './api.js';
import { count, date } from './format.js';
import { h, pageProblem, replace, table } from './dom.js';
import { t } from './i18n.js';
import { COLOURS, svg } from './seat-summary.js';

/** The series drawn, in legend order. */
const SERIES = /** @type {const} */ (['bought', 'held', 'seated', 'invited']);

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 40, right: 12, top: 10, bottom: 24 };

/**
 * One tier's chart.
 * @param {import('./api.js').UsageHistory['tiers'][number]} tier
 */
function tierChart(tier) {
  const days = tier.days;
  const top = Math.max(1, ...days.map((d) => Math.max(d.bought, d.held)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (/** @type {number} */ i) =>
    PAD.left + (days.length <= 1 ? plotWidth : (i / (days.length - 1)) * plotWidth);
  const y = (/** @type {number} */ n) => PAD.top + plotHeight - (n / top) * plotHeight;
  const first = days[0];
  const last = days.at(-1);
  const label = last
    ? t('usage.history.summary', {
        tier: tier.name,
        date: date(last.date),
        held: count(last.held),
        bought: count(last.bought),
        seated: count(last.seated),
        invited: count(last.invited),
      })
    : tier.name;
  const chart = svg(
    'svg',
    {
      class: 'usage-chart',
      role: 'img',
      'aria-label': label,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      width: '100%',
      'data-days': days.length,
    },
    // Axes and the top value, so the scale reads at a glance.
    svg('line', { x1: PAD.left, y1: y(0), x2: WIDTH - PAD.right, y2: y(0), stroke: COLOURS.free }),
    svg('line', {
      x1: PAD.left,
      y1: y(top),
      x2: WIDTH - PAD.right,
      y2: y(top),
      stroke: COLOURS.free,
      'stroke-dasharray': '4 4',
    }),
    text(PAD.left - 6, y(0) + 4, '0', 'end'),
    text(PAD.left - 6, y(top) + 4, count(top), 'end'),
    text(PAD.left, HEIGHT - 6, first ? date(first.date) : '', 'start'),
    text(WIDTH - PAD.right, HEIGHT - 6, last ? date(last.date) : '', 'end'),
    ...SERIES.map((series) =>
      svg('polyline', {
        class: `series ${series}`,
        'data-series': series,
        fill: 'none',
        stroke: COLOURS[series],
        'stroke-width': series === 'bought' ? 2 : 2.5,
        ...(series === 'bought' ? { 'stroke-dasharray': '6 3' } : {}),
        points: days.map((d, i) => `${x(i).toFixed(1)},${y(d[series]).toFixed(1)}`).join(' '),
      }),
    ),
  );
  return h(
    'figure',
    { class: 'usage-figure', 'data-tier': tier.id },
    h('figcaption', {}, h('strong', {}, tier.name)),
    chart,
    legend(),
    h(
      'details',
      {},
      h('summary', {}, t('usage.history.table', { tier: tier.name })),
      h(
        'div',
        { class: 'table-scroll' },
        table(
          t('usage.history.table', { tier: tier.name }),
          [
            t('usage.history.date'),
            ...SERIES.map((s) => t(`usage.history.${s}`)),
            t('usage.history.available'),
          ],
          [...days]
            .reverse()
            .map((d) => [
              date(d.date),
              count(d.bought),
              count(d.held),
              count(d.seated),
              count(d.invited),
              count(d.available),
            ]),
          { numeric: [1, 2, 3, 4, 5] },
        ),
      ),
    ),
  );
}

/** A label on the chart. */
function text(
  /** @type {number} */ x,
  /** @type {number} */ y,
  /** @type {string} */ value,
  /** @type {string} */ anchor,
) {
  const label = svg('text', { x, y, 'text-anchor': anchor, 'font-size': 11, fill: COLOURS.bought });
  label.textContent = value;
  return label;
}

/** What each line is. */
function legend() {
  return h(
    'p',
    { class: 'legend hint' },
    SERIES.map((series) =>
      h(
        'span',
        { class: 'legend-item', 'data-series': series },
        svg(
          'svg',
          { width: 18, height: 10, viewBox: '0 0 18 10', 'aria-hidden': 'true' },
          svg('line', {
            x1: 0,
            y1: 5,
            x2: 18,
            y2: 5,
            stroke: COLOURS[series],
            'stroke-width': 3,
            ...(series === 'bought' ? { 'stroke-dasharray': '4 2' } : {}),
          }),
        ),
        ` ${t(`usage.history.${series}`)}  `,
      ),
    ),
  );
}

/**
 * The "Seat usage over time" section, filled once the history has loaded.
 * @returns {HTMLElement}
 */
export function usageHistorySection() {
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-heading', 'data-testid': 'usage-history' },
    h('h2', { id: 'history-heading' }, t('usage.history.heading')),
    h('p', { class: 'loading' }, t('app.loading')),
  );
  void api.usageHistory().then(
    (history) => {
      const heading = h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'history-heading' }, t('usage.history.heading')),
        h('a', { class: 'button', href: api.usageHistoryCsvUrl(), download: '' }, t('usage.history.csv')),
      );
      replace(
        section,
        heading,
        h(
          'p',
          { class: 'hint' },
          t('usage.history.hint', {
            start: date(history.term.start),
            end: date(history.term.end),
            zone: history.timeZone,
          }),
        ),
        history.through === null
          ? h('p', {}, t('usage.history.empty'))
          : history.tiers.map((tier) => tierChart(tier)),
      );
    },
    (error) =>
      replace(section, h('h2', { id: 'history-heading' }, t('usage.history.heading')), pageProblem(error)),
  );
  return section;
}
