// The database statistics (db/port.ts DatabaseStats) on SQLite: the schema version is PRAGMA
// user_version, which db/sqlite/migrate.ts sets to the last migration applied.
import type { DatabaseStats, OutboxTotals, SeatTotals } from '../port.js';
import { MAIL_OUTBOX_TOTALS, SEAT_TOTALS, WEBHOOK_OUTBOX_TOTALS } from '../stats-statements.js';
import type { Db } from './connection.js';
import { loadMigrations } from './migrate.js';

export function createStats(db: Db): DatabaseStats {
  const seats = db.prepare<[], SeatTotals>(SEAT_TOTALS);
  const outbox = db.prepare<[], OutboxTotals>(MAIL_OUTBOX_TOTALS);
  const webhooks = db.prepare<[], OutboxTotals>(WEBHOOK_OUTBOX_TOTALS);
  return {
    schemaVersion: () => settled(() => db.pragma('user_version', { simple: true }) as number),
    latestSchemaVersion: loadMigrations().length,
    seats: () => settled(() => seats.all()),
    outbox: () => settled(() => outbox.get()!),
    webhooks: () => settled(() => webhooks.get()!),
  };
}

/**
 * A read that runs at once, synchronously, as a settled promise: a throw (a closed connection)
 * becomes a rejection, as a network driver's failure would be.
 */
function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
