// Queries on the mail outbox: enqueue, the worker's due list, lease, and the delivery outcome. A
// row's life (due, leased, delivered, retried, given up) is the one webhook deliveries have too,
// written once in db/queries/outbox-rows.ts.
import type { Sql } from '../sql.js';
import { createOutboxRows } from './outbox-rows.js';
import type { NewOutboxRow, OutboxRow } from '../../domain/records.js';
import type { OutboxQueries } from '../port.js';

interface Row {
  id: number;
  organisation_id: number | null;
  kind: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  message_id: string;
  created_at: string;
  next_attempt_at: string;
  attempts: number;
  lease_until: string | null;
  delivered_at: string | null;
  failed_at: string | null;
  last_error: string | null;
}

const toOutboxRow = (r: Row): OutboxRow => ({
  id: r.id,
  organisationId: r.organisation_id,
  kind: r.kind,
  recipient: r.recipient,
  subject: r.subject,
  text: r.text_body,
  html: r.html_body,
  messageId: r.message_id,
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  attempts: r.attempts,
  leaseUntil: r.lease_until,
  deliveredAt: r.delivered_at,
  failedAt: r.failed_at,
  lastError: r.last_error,
  state: r.delivered_at !== null ? 'delivered' : r.failed_at !== null ? 'failed' : 'pending',
});

const COLUMNS =
  'id, organisation_id, kind, recipient, subject, text_body, html_body, message_id, created_at, next_attempt_at, attempts, lease_until, delivered_at, failed_at, last_error';

export function createOutboxQueries(db: Sql): OutboxQueries {
  const insert = db.prepare<NewOutboxRow, { id: number }>(
    `INSERT INTO outbox (organisation_id, kind, recipient, subject, text_body, html_body, message_id, created_at, next_attempt_at)
     VALUES (@organisationId, @kind, @recipient, @subject, @text, @html, @messageId, @at, @at) RETURNING id`,
  );
  const byId = db.prepare<[number], Row>(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`);
  // Due rows are found through the partial index outbox_due.
  const rows = createOutboxRows(db, { table: 'outbox' });
  const nextDue = db.prepare<[], { next_attempt_at: string; lease_until: string | null }>(
    `SELECT next_attempt_at, lease_until FROM outbox
     WHERE delivered_at IS NULL AND failed_at IS NULL ORDER BY next_attempt_at, id LIMIT 1`,
  );
  const forOrg = db.prepare<[number, number, number], Row>(
    `SELECT ${COLUMNS} FROM outbox WHERE organisation_id = ? AND id > ? ORDER BY id LIMIT ?`,
  );
  const all = db.prepare<[number, number], Row>(
    `SELECT ${COLUMNS} FROM outbox WHERE id > ? ORDER BY id LIMIT ?`,
  );
  const counts = db.prepare<[], { pending: number; delivered: number; failed: number }>(
    `SELECT
       COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending,
       COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS delivered,
       COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed
     FROM outbox`,
  );

  return {
    /** Writes one mail, due at once; returns its id. */
    insert: async (row: NewOutboxRow): Promise<number> => (await insert.get(row))!.id,
    byId: async (id: number): Promise<OutboxRow | undefined> => {
      const row = await byId.get(id);
      return row === undefined ? undefined : toOutboxRow(row);
    },
    /** Ids of rows a worker may lease at `now`, the longest due first. */
    due: rows.due,
    /**
     * When the next unfinished row becomes leasable (its due time, or the end of a running
     * lease, whichever is later); undefined when nothing is unfinished.
     */
    async nextDueAt(): Promise<string | undefined> {
      const row = await nextDue.get();
      if (!row) return undefined;
      return row.lease_until !== null && row.lease_until > row.next_attempt_at
        ? row.lease_until
        : row.next_attempt_at;
    },
    /** Takes the row for one delivery attempt until `until`; undefined if it is not leasable now. */
    async lease(id: number, now: string, until: string): Promise<OutboxRow | undefined> {
      return (await rows.lease(id, now, until)) ? toOutboxRow((await byId.get(id))!) : undefined;
    },
    /** Records delivery; false when the lease `lease` was lost meanwhile (another worker took over). */
    markDelivered: async (id: number, lease: string, now: string): Promise<boolean> =>
      rows.markDelivered(id, lease, now),
    /** Releases the lease and schedules the next attempt at `next`. */
    markRetry: async (id: number, lease: string, next: string, error: string): Promise<boolean> =>
      rows.markRetry(id, lease, next, error),
    /** Gives the row up for good; it stays, with its last error, for the operator to see. */
    markFailed: async (id: number, lease: string, now: string, error: string): Promise<boolean> =>
      rows.markFailed(id, lease, now, error),
    /** The organisation's mail, oldest first, after id `after`. */
    forOrganisation: async (organisationId: number, after = 0, limit = 100): Promise<OutboxRow[]> =>
      (await forOrg.all(organisationId, after, limit)).map(toOutboxRow),
    /** Every mail, oldest first, after id `after`. */
    list: async (after = 0, limit = 100): Promise<OutboxRow[]> =>
      (await all.all(after, limit)).map(toOutboxRow),
    counts: async (): Promise<{ pending: number; delivered: number; failed: number }> =>
      (await counts.get())!,
  };
}
