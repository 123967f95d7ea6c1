// Read-only facts about the database for operators: the schema version, and the aggregates that
// /metrics reports at scrape time (seats per organisation and tier, the mail outbox). Each is one
// statement over an index, cheap enough to run at every scrape; none takes a write lock.
import type { Db } from './connection.js';
import { loadMigrations } from './migrate.js';

export interface SeatTotals {
  readonly organisation: string;
  readonly tier: string;
  readonly allocation: number;
  readonly held: number;
  /** Directory users of the organisation kept awaiting a seat (policy `hold`); per organisation. */
  readonly awaiting: number;
  /** Users refused for want of a seat and not yet seated (the waiting list); per organisation. */
  readonly refused: number;
}

export interface OutboxTotals {
  /** Mail neither delivered nor given up: the outbox's depth. */
  readonly pending: number;
  /** Pending mail whose last attempt failed, waiting for its retry. */
  readonly retrying: number;
  /** When the oldest pending mail was enqueued (ISO 8601), or null when none is pending. */
  readonly oldestPendingAt: string | null;
}

export interface DatabaseStats {
  /** PRAGMA user_version: the number of the last migration applied. */
  schemaVersion(): number;
  /** The number of the newest migration this build knows. */
  readonly latestSchemaVersion: number;
  seats(): SeatTotals[];
  outbox(): OutboxTotals;
  /** The webhook deliveries' outbox, counted the same way. */
  webhooks(): OutboxTotals;
}

export function createStats(db: Db): DatabaseStats {
  // One row per organisation and tier, with the organisation's waiting counts beside it. The
  // subqueries read the partial index of awaiting members and the waiting list's own key.
  const seats = db.prepare<[], SeatTotals>(
    `SELECT o.slug AS organisation, p.tier_id AS tier, p.allocation AS allocation, p.held AS held,
       (SELECT count(*) FROM members m
         WHERE m.organisation_id = o.id AND m.seat_state = 'awaiting_seat') AS awaiting,
       (SELECT count(*) FROM seat_waitlist w
         WHERE w.organisation_id = o.id AND w.resolved_at IS NULL) AS refused
     FROM seat_pools p JOIN organisations o ON o.id = p.organisation_id
     ORDER BY o.slug, p.tier_id`,
  );
  // The worker's partial index holds exactly the pending rows, so the outbox's history (delivered
  // and given-up mail, kept for good) is never read.
  const outbox = db.prepare<[], OutboxTotals>(
    `SELECT count(*) AS pending, count(last_error) AS retrying, min(created_at) AS oldestPendingAt
     FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL`,
  );
  const webhooks = db.prepare<[], OutboxTotals>(
    `SELECT count(*) AS pending, count(last_error) AS retrying, min(created_at) AS oldestPendingAt
     FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL`,
  );
  return {
    schemaVersion: () => db.pragma('user_version', { simple: true }) as number,
    latestSchemaVersion: loadMigrations().length,
    seats: () => seats.all(),
    outbox: () => outbox.get()!,
    webhooks: () => webhooks.get()!,
  };
}
