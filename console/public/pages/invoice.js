// @ts-check
// One invoice (owners): when and why it was issued, whom it is addressed to, every line with its
// proration, the total, and the same as a PDF to download.
import * as api from '../api.js';
import { instant, words } from '../format.js';
import { h, pageProblem, replace } from '../dom.js';
import { linesTable } from './billing.js';
import { t } from '../i18n.js';
import { contactFacts } from './billing-contact.js';

/** @param {import('../shell.js').PageContext} ctx */
export async function render(ctx) {
  const number = ctx.params[0] ?? '';
  /** @type {import('../api.js').Invoice} */
  let invoice;
  /** @type {import('../api.js').BillingContact | null} */
  let contact;
  try {
    [invoice, { contact }] = await Promise.all([api.invoice(number), api.billingContact()]);
  } catch (error) {
    replace(ctx.main, h('h1', {}, t('invoice.title', { number })), pageProblem(error));
    return;
  }
  replace(
    ctx.main,
    h('p', { class: 'breadcrumb' }, h('a', { href: '/console/invoices' }, t('invoices.title'))),
    h('h1', {}, t('invoice.title', { number: invoice.number })),
    h(
      'p',
      {},
      h(
        'a',
        {
          href: api.invoicePdfUrl(invoice.number),
          download: `invoice-${invoice.number}.pdf`,
          class: 'button',
        },
        t('invoice.downloadPdf'),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('invoices.col.issued')),
      h('dd', {}, instant(invoice.issuedAt)),
      h('dt', {}, t('invoices.col.kind')),
      h('dd', {}, words(invoice.kind)),
      h('dt', {}, t('invoice.contractTerm')),
      h('dd', {}, String(invoice.termNumber)),
      h('dt', {}, t('invoice.currency')),
      h('dd', {}, invoice.currency),
    ),
    h(
      'section',
      { 'aria-labelledby': 'bill-to-heading' },
      h('h2', { id: 'bill-to-heading' }, t('invoice.billTo')),
      contactFacts(contact),
    ),
    linesTable(
      t('invoice.lines', { number: invoice.number }),
      invoice.lines,
      invoice.totalMinor,
      invoice.currency,
      undefined,
    ),
  );
}
