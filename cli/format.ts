// Plain-text output for people: aligned tables, money with its currency, months as fractions.
import { formatMonths } from '../billing/invoicing.js';
import type { Invoice, InvoiceLine } from '../domain/records.js';
import { formatMinor, fraction } from '../domain/money.js';

export type Align = 'left' | 'right';

/** A table with a header row; columns are two spaces apart, numbers right-aligned. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    widths
      .map((w, i) => {
        const cell = cells[i] ?? '';
        return align[i] === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)].join('\n');
}

/** "label  value" lines with the values aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

export function money(amountMinor: number, currency: string): string {
  return `${formatMinor(amountMinor, currency)} ${currency}`;
}

export function months(line: Pick<InvoiceLine, 'monthsNum' | 'monthsDen'>): string {
  return formatMonths(fraction(line.monthsNum, line.monthsDen));
}

/**
 * Invoice or quote lines with their total. The description goes last: it is long, and a terminal
 * that wraps it then leaves the number columns aligned.
 */
export function lineTable(lines: readonly InvoiceLine[], totalMinor: number, currency: string): string {
  const rows = lines.map((l) => [
    String(l.quantity),
    formatMinor(l.unitPriceMinor, currency),
    months(l),
    formatMinor(l.amountMinor, currency),
    l.description,
  ]);
  const body = table(['Qty', 'Unit price', 'Months', `Amount (${currency})`, 'Description'], rows, [
    'right',
    'right',
    'right',
    'right',
    'left',
  ]);
  return `${body}\nTotal: ${money(totalMinor, currency)}`;
}

export function invoiceText(invoice: Invoice, slug: string): string {
  const head = fields([
    ['Invoice', `${invoice.number} (${invoice.kind})`],
    ['Organisation', slug],
    ['Term', String(invoice.termNumber)],
    ['Issued', invoice.issuedAt],
    ...(invoice.quoteId === null ? [] : [['Quote', invoice.quoteId] as const]),
  ]);
  return `${head}\n\n${lineTable(invoice.lines, invoice.totalMinor, invoice.currency)}`;
}
