// Queries on quotes: priced proposals kept until they expire, so a confirm buys exactly what was shown.
import type { Sql } from '../sql.js';
import type { Actor } from '../../domain/model.js';
import { actorId } from './audit.js';
import { mapOptional } from './organisations.js';
import type { InvoiceLine, NewQuote, Quote, QuoteBasis, QuoteRequest } from '../../domain/records.js';
import type { QuoteQueries } from '../port.js';

interface QuoteRow {
  id: string;
  organisation_id: number;
  term_number: number;
  actor_type: Actor['type'];
  actor_id: string | null;
  created_at: string;
  expires_at: string;
  request: string;
  basis: string;
  lines: string;
  total_minor: number;
  currency: string;
  idempotency_key: string | null;
}

const toQuote = (r: QuoteRow): Quote => ({
  id: r.id,
  organisationId: r.organisation_id,
  termNumber: r.term_number,
  actorType: r.actor_type,
  actorId: r.actor_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  request: JSON.parse(r.request) as QuoteRequest,
  basis: JSON.parse(r.basis) as QuoteBasis,
  lines: JSON.parse(r.lines) as InvoiceLine[],
  totalMinor: r.total_minor,
  currency: r.currency,
  idempotencyKey: r.idempotency_key,
});

export function createQuoteQueries(db: Sql): QuoteQueries {
  const insert = db.prepare(
    `INSERT INTO quotes (id, organisation_id, term_number, actor_type, actor_id, created_at, expires_at,
       request, basis, lines, total_minor, currency, idempotency_key)
     VALUES (@id, @organisationId, @termNumber, @actorType, @actorId, @createdAt, @expiresAt,
       @request, @basis, @lines, @totalMinor, @currency, @idempotencyKey)`,
  );
  const byId = db.prepare<[number, string], QuoteRow>(
    'SELECT * FROM quotes WHERE organisation_id = ? AND id = ?',
  );
  // READ COMMITTED lets two confirms of one quote both find no invoice yet; the row lock makes the
  // second wait for the first's commit, and its next statement then sees the invoice. SQLite has
  // no FOR UPDATE and needs none: its write transactions run one at a time.
  const byIdForConfirm = db.prepare<[number, string], QuoteRow>(
    `SELECT * FROM quotes WHERE organisation_id = ? AND id = ?${db.dialect === 'postgres' ? ' FOR UPDATE' : ''}`,
  );
  const byKey = db.prepare<[number, string], QuoteRow>(
    'SELECT * FROM quotes WHERE organisation_id = ? AND idempotency_key = ?',
  );

  return {
    async insert(q: NewQuote): Promise<Quote> {
      await insert.run({
        id: q.id,
        organisationId: q.organisationId,
        termNumber: q.termNumber,
        actorType: q.actor.type,
        actorId: actorId(q.actor),
        createdAt: q.createdAt,
        expiresAt: q.expiresAt,
        request: JSON.stringify(q.request),
        basis: JSON.stringify(q.basis),
        lines: JSON.stringify(q.lines),
        totalMinor: q.lines.reduce((sum, l) => sum + l.amountMinor, 0),
        currency: q.currency,
        idempotencyKey: q.idempotencyKey,
      });
      return toQuote((await byId.get(q.organisationId, q.id))!);
    },
    byId: async (organisationId: number, id: string) =>
      mapOptional(await byId.get(organisationId, id), toQuote),
    byIdForConfirm: async (organisationId: number, id: string) =>
      mapOptional(await byIdForConfirm.get(organisationId, id), toQuote),
    byIdempotencyKey: async (organisationId: number, key: string) =>
      mapOptional(await byKey.get(organisationId, key), toQuote),
  };
}
