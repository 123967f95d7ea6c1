// @ts-check
// The seat summary on Members and Billing: per tier "9 of 12 Standard seats used" with a bar of
// what is bought (seated, then held by invitations, then free), and how many invitations are
// pending and people wait for a seat. The bars are SVG drawn with attributes only, so the strict
// Content-Security-Policy (no inline style) holds without a stylesheet change.
/* global document */
import * as api from './api.js';
import { count } from './format.js';
import { h } from './dom.js';
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

/** The colours of the bars and the usage chart, one per series, legible on white (WCAG 3:1). */
export const COLOURS = /** @type {const} */ ({
  bought: '#57606a',
  held: '#0b5cad',
  seated: '#1a7f37',
  invited: '#9a6700',
  free: '#d0d7de',
});

/**
 * An SVG element with attributes (never a style).
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {...Element} children
 * @returns {SVGElement}
 */
export function svg(tag, attributes = {}, ...children) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG, tag));
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(child);
  return element;
}

/**
 * A bar of a tier's bought seats: seated, held by invitations, free.
 * @param {import('./api.js').UsageTier} tier
 * @param {string} label what a screen reader says for it
 */
function bar(tier, label) {
  const width = 300;
  const total = Math.max(tier.allocation, tier.held, 1);
  const seated = (tier.seated / total) * width;
  const invited = (tier.invited / total) * width;
  return svg(
    'svg',
    {
      class: 'seat-bar',
      role: 'img',
      'aria-label': label,
      viewBox: `0 0 ${width} 12`,
      width: '100%',
      height: 12,
      preserveAspectRatio: 'none',
      'data-seated': tier.seated,
      'data-invited': tier.invited,
      'data-allocation': tier.allocation,
    },
    svg('rect', { x: 0, y: 0, width, height: 12, rx: 3, fill: COLOURS.free }),
    svg('rect', { class: 'seated', x: 0, y: 0, width: seated, height: 12, fill: COLOURS.seated }),
    svg('rect', { class: 'invited', x: seated, y: 0, width: invited, height: 12, fill: COLOURS.invited }),
  );
}

/**
 * The summary section, from GET /usage.
 * @param {import('./api.js').Usage} usage
 */
export function seatSummary(usage) {
  const invited = usage.tiers.reduce((sum, tier) => sum + tier.invited, 0);
  return h(
    'section',
    { class: 'card seat-summary', 'aria-labelledby': 'seat-summary-heading', 'data-testid': 'seat-summary' },
    h('h2', { id: 'seat-summary-heading' }, t('seats.summary.heading')),
    h(
      'div',
      {},
      usage.tiers.map((tier) => {
        const used = t('seats.summary.used', {
          used: count(tier.held),
          total: count(tier.allocation),
          tier: tier.name,
        });
        return h(
          'div',
          { 'data-tier': tier.id },
          h('p', { class: 'seat-used' }, h('strong', {}, used)),
          bar(tier, used),
          h(
            'p',
            { class: 'hint' },
            t('seats.summary.detail', {
              seated: count(tier.seated),
              invited: count(tier.invited),
              available: count(tier.available),
            }),
          ),
        );
      }),
    ),
    h(
      'p',
      { 'data-testid': 'seat-summary-counts' },
      t('seats.summary.invited', { count: invited }),
      ' · ',
      t('seats.summary.waiting', { count: usage.waiting.total }),
    ),
  );
}

/**
 * The summary for a page that has not loaded GET /usage itself (Billing): a place that fills in
 * when it arrives, and stays empty if it cannot.
 */
export function loadSeatSummary() {
  const holder = h('div', { 'data-testid': 'seat-summary-holder' });
  void api.usage().then(
    (usage) => holder.replaceChildren(seatSummary(usage)),
    () => holder.replaceChildren(),
  );
  return holder;
}
