// @ts-check
// One invoice (owners): when and why it was issued, every line with its proration, and the total.
import * as api from '../api.js';
import { instant, words } from '../format.js';
import { h, pageProblem, replace } from '../dom.js';
import { linesTable } from './billing.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const number = ctx.params[0] ?? '';
  /** @type {import('../api.js').Invoice} */
  let invoice;
  try {
    invoice = await api.invoice(number);
  } catch (error) {
    replace(ctx.main, h('h1', {}, `Invoice ${number}`), pageProblem(error));
    return;
  }
  replace(
    ctx.main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '/console/invoices' }, 'Invoices')),
    h('h1', {}, `Invoice ${invoice.number}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Issued'),
      h('dd', {}, instant(invoice.issuedAt)),
      h('dt', {}, 'Kind'),
      h('dd', {}, words(invoice.kind)),
      h('dt', {}, 'Contract term'),
      h('dd', {}, String(invoice.termNumber)),
      h('dt', {}, 'Currency'),
      h('dd', {}, invoice.currency),
    ),
    linesTable(
      `Lines of invoice ${invoice.number}`,
      invoice.lines,
      invoice.totalMinor,
      invoice.currency,
      undefined,
    ),
  );
}
