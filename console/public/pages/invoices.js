// @ts-check
// Invoices (owners): every invoice of the organisation, newest first, each linking to its lines.
import * as api from '../api.js';
import { date, instant, money, words } from '../format.js';
import { h, pageProblem, replace, table } from '../dom.js';
import { t } from '../i18n.js';

const PER_PAGE = 25;

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  /** @type {import('../api.js').InvoiceSummary[]} */
  let all;
  try {
    all = (await api.invoices()).invoices;
  } catch (error) {
    replace(ctx.main, h('h1', {}, t('invoices.title')), pageProblem(error));
    return;
  }
  const newestFirst = [...all].reverse();
  const pages = Math.max(1, Math.ceil(newestFirst.length / PER_PAGE));
  const page = Math.min(pages, Math.max(1, Number(ctx.search.get('page')) || 1));
  const shown = newestFirst.slice((page - 1) * PER_PAGE, page * PER_PAGE);
  replace(
    ctx.main,
    h('h1', {}, t('invoices.title')),
    table(
      t('invoices.caption'),
      [
        t('invoices.col.number'),
        t('invoices.col.issued'),
        t('invoices.col.kind'),
        t('invoices.col.term'),
        t('invoices.col.total'),
      ],
      shown.map((i) => [
        h('a', { href: `/console/invoices/${encodeURIComponent(i.number)}` }, i.number),
        h('time', { datetime: i.issuedAt, title: instant(i.issuedAt) }, date(i.issuedAt)),
        words(i.kind),
        String(i.termNumber),
        money(i.totalMinor, i.currency),
      ]),
      { numeric: [3, 4], empty: t('invoices.none') },
    ),
    pager('/console/invoices', page, pages),
  );
}

/** Previous / next links for a list that the console pages itself. */
export function pager(/** @type {string} */ base, /** @type {number} */ page, /** @type {number} */ pages) {
  if (pages <= 1) return null;
  const link = (/** @type {number} */ to, /** @type {string} */ text) =>
    h('a', { href: `${base}?page=${to}`, rel: to < page ? 'prev' : 'next' }, text);
  return h(
    'nav',
    { class: 'pager', 'aria-label': t('pager.label') },
    page > 1 ? link(page - 1, t('pager.previous')) : null,
    h('span', {}, t('pager.position', { page, pages })),
    page < pages ? link(page + 1, t('pager.next')) : null,
  );
}
