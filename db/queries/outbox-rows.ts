// The life of a row in a durable outbox, shared by the mail outbox (`outbox`) and webhook
// deliveries (`webhook_deliveries`): which rows are due, the lease one delivery attempt takes, and
// its outcome (delivered, tried again later, or given up). Both tables have the same state columns
// (next_attempt_at, attempts, lease_until, delivered_at, failed_at, last_error).
//
// Every state change is one conditional UPDATE whose WHERE clause says which state it may change
// from: two workers (in one process, two, or two instances on PostgreSQL) cannot both lease a row,
// and a late outcome cannot overwrite a row another worker took over.
import type { Sql } from '../sql.js';

export interface OutboxTable {
  readonly table: 'outbox' | 'webhook_deliveries';
  /** Further conditions a row must meet to be leased, on the row as `d` (a delivery's turn). */
  readonly alsoLeasable?: string;
  /** Outcomes also keep the receiver's answer (a webhook's HTTP status) in `last_status`. */
  readonly keepsStatus?: boolean;
}

/** Neither delivered nor given up, on the row as `d`. */
const UNFINISHED = 'd.delivered_at IS NULL AND d.failed_at IS NULL';

export function createOutboxRows(db: Sql, { table, alsoLeasable, keepsStatus = false }: OutboxTable) {
  /** The row may be leased: not finished, due, and no other worker's lease still running. */
  const leasable =
    `${UNFINISHED} AND d.next_attempt_at <= @now AND (d.lease_until IS NULL OR d.lease_until < @now)` +
    (alsoLeasable === undefined ? '' : ` AND ${alsoLeasable}`);
  const status = keepsStatus ? ', last_status = @status' : '';
  // Outcomes apply only while the caller still holds its lease (lease_until unchanged).
  const held = 'WHERE id = @id AND lease_until = @lease AND delivered_at IS NULL AND failed_at IS NULL';

  // Served by the table's partial index on (next_attempt_at, id) over unfinished rows.
  const due = db.prepare<{ now: string; limit: number }, { id: number }>(
    `SELECT d.id FROM ${table} d WHERE ${leasable} ORDER BY d.next_attempt_at, d.id LIMIT @limit`,
  );
  // The lease: one conditional UPDATE, so of two workers racing for a row exactly one changes it.
  // The attempt is counted here, before sending, so a row that kills the process mid-send (or a
  // receiver that hangs it) still runs out of attempts instead of being retried for ever.
  //
  // On PostgreSQL the subquery takes the row with FOR UPDATE SKIP LOCKED. Without it, under READ
  // COMMITTED, a second worker's UPDATE would wait for the first worker's lease to commit and then
  // re-check only `id = …` on the changed row, not the subquery's conditions, and lease the row a
  // second time. Locked, the row is skipped at once: another worker is taking it. A row the
  // other worker has already committed is read at its newest version and fails `leasable`.
  // (SQLite has one writer at a time, so the second worker's statement sees the first's lease.)
  const skipLocked = db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  const lease = db.prepare<{ id: number; now: string; until: string }, { id: number }>(
    `UPDATE ${table} SET lease_until = @until, attempts = attempts + 1
     WHERE id = (SELECT d.id FROM ${table} d WHERE d.id = @id AND ${leasable}${skipLocked}) RETURNING id`,
  );
  const delivered = db.prepare<Record<string, unknown>>(
    `UPDATE ${table} SET delivered_at = @now, lease_until = NULL${status}, last_error = NULL ${held}`,
  );
  const retry = db.prepare<Record<string, unknown>>(
    `UPDATE ${table} SET next_attempt_at = @next, lease_until = NULL${status}, last_error = @error ${held}`,
  );
  const failed = db.prepare<Record<string, unknown>>(
    `UPDATE ${table} SET failed_at = @now, lease_until = NULL${status}, last_error = @error ${held}`,
  );
  /** The receiver's answer, bound only where the table keeps it. */
  const answer = (value: number | null | undefined) => (keepsStatus ? { status: value ?? null } : {});

  return {
    /** Ids of rows a worker may lease at `now`, the longest due first. */
    due: async (now: string, limit: number): Promise<number[]> =>
      (await due.all({ now, limit })).map((r) => r.id),
    /** Takes the row for one attempt until `until`; false if it is not leasable now. */
    lease: async (id: number, now: string, until: string): Promise<boolean> =>
      (await lease.get({ id, now, until })) !== undefined,
    /** Records delivery; false when the lease `lease` was lost meanwhile (another worker took over). */
    markDelivered: async (id: number, lease: string, now: string, status?: number): Promise<boolean> =>
      (await delivered.run({ id, lease, now, ...answer(status) })).changes === 1,
    /** Releases the lease and schedules the next attempt at `next`. */
    markRetry: async (
      id: number,
      lease: string,
      next: string,
      error: string,
      status?: number | null,
    ): Promise<boolean> => (await retry.run({ id, lease, next, error, ...answer(status) })).changes === 1,
    /** Gives the row up for good; it stays, with its last error, for the operator to see. */
    markFailed: async (
      id: number,
      lease: string,
      now: string,
      error: string,
      status?: number | null,
    ): Promise<boolean> => (await failed.run({ id, lease, now, error, ...answer(status) })).changes === 1,
  };
}
