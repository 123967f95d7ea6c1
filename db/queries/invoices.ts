// Queries on invoices and their lines. An invoice is written once, with its lines, and never changed.
import { inOrder } from '../../domain/in-order.js';
import type { Sql } from '../sql.js';
import { mapOptional } from './organisations.js';
import type { Invoice, InvoiceKind, LineAction, NewInvoice } from '../../domain/records.js';
import type { InvoiceQueries } from '../port.js';

interface InvoiceRow {
  id: number;
  organisation_id: number;
  number: string;
  kind: InvoiceKind;
  term_number: number;
  issued_at: string;
  currency: string;
  total_minor: number;
  quote_id: string | null;
}

interface LineRow {
  tier_id: string;
  action: LineAction;
  description: string;
  quantity: number;
  unit_price_minor: number;
  months_num: number;
  months_den: number;
  period_start: string;
  period_end: string;
  amount_minor: number;
}

export function createInvoiceQueries(db: Sql): InvoiceQueries {
  const insert = db.prepare<
    [number, string, InvoiceKind, number, string, string, number, string | null],
    { id: number }
  >(
    `INSERT INTO invoices (organisation_id, number, kind, term_number, issued_at, currency, total_minor, quote_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const insertLine = db.prepare(
    `INSERT INTO invoice_lines (invoice_id, line_no, tier_id, action, description, quantity, unit_price_minor,
       months_num, months_den, period_start, period_end, amount_minor)
     VALUES (@invoiceId, @lineNo, @tierId, @action, @description, @quantity, @unitPriceMinor,
       @monthsNum, @monthsDen, @periodStart, @periodEnd, @amountMinor)`,
  );
  const byId = db.prepare<[number, number], InvoiceRow>(
    'SELECT * FROM invoices WHERE organisation_id = ? AND id = ?',
  );
  const byNumber = db.prepare<[number, string], InvoiceRow>(
    'SELECT * FROM invoices WHERE organisation_id = ? AND number = ?',
  );
  const byQuote = db.prepare<[string], InvoiceRow>('SELECT * FROM invoices WHERE quote_id = ?');
  const list = db.prepare<[number], InvoiceRow>(
    'SELECT * FROM invoices WHERE organisation_id = ? ORDER BY id',
  );
  const count = db.prepare<[number], { n: number }>(
    'SELECT count(*) AS n FROM invoices WHERE organisation_id = ?',
  );
  const lines = db.prepare<[number], LineRow>(
    'SELECT * FROM invoice_lines WHERE invoice_id = ? ORDER BY line_no',
  );

  const withLines = async (r: InvoiceRow): Promise<Invoice> => ({
    id: r.id,
    organisationId: r.organisation_id,
    number: r.number,
    kind: r.kind,
    termNumber: r.term_number,
    issuedAt: r.issued_at,
    currency: r.currency,
    totalMinor: r.total_minor,
    quoteId: r.quote_id,
    lines: (await lines.all(r.id)).map((l) => ({
      tierId: l.tier_id,
      action: l.action,
      description: l.description,
      quantity: l.quantity,
      unitPriceMinor: l.unit_price_minor,
      monthsNum: l.months_num,
      monthsDen: l.months_den,
      periodStart: l.period_start,
      periodEnd: l.period_end,
      amountMinor: l.amount_minor,
    })),
  });

  return {
    /** Writes the invoice and its lines; the total is the sum of the lines, by construction. */
    async insert(inv: NewInvoice): Promise<Invoice> {
      const total = inv.lines.reduce((sum, l) => sum + l.amountMinor, 0);
      const { id } = (await insert.get(
        inv.organisationId,
        inv.number,
        inv.kind,
        inv.termNumber,
        inv.issuedAt,
        inv.currency,
        total,
        inv.quoteId,
      ))!;
      for (const [i, line] of inv.lines.entries()) {
        await insertLine.run({ invoiceId: id, lineNo: i + 1, ...line });
      }
      return withLines((await byId.get(inv.organisationId, id))!);
    },
    byId: async (organisationId: number, id: number) =>
      mapOptional(await byId.get(organisationId, id), withLines),
    byNumber: async (organisationId: number, number: string) =>
      mapOptional(await byNumber.get(organisationId, number), withLines),
    byQuote: async (quoteId: string) => mapOptional(await byQuote.get(quoteId), withLines),
    list: async (organisationId: number): Promise<Invoice[]> =>
      inOrder(await list.all(organisationId), withLines),
    count: async (organisationId: number): Promise<number> => (await count.get(organisationId))!.n,
  };
}
