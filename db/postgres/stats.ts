// The database statistics (db/port.ts DatabaseStats) on PostgreSQL: each read is one statement on a
// pooled connection, outside any unit of work. count(*) is bigint there; the pool parses it to a
// number (db/postgres/connection.ts), so the rows are SQLite's.
import type { Pool } from 'pg';
import type { DatabaseStats, OutboxTotals, SeatTotals } from '../port.js';
import { MAIL_OUTBOX_TOTALS, SEAT_TOTALS, WEBHOOK_OUTBOX_TOTALS } from '../stats-statements.js';
import { loadPostgresMigrations, schemaVersion } from './migrate.js';

export function createPostgresStats(pool: Pool): DatabaseStats {
  const totals = async (text: string): Promise<OutboxTotals> =>
    (await pool.query<OutboxTotals>(text)).rows[0]!;
  return {
    schemaVersion: () => schemaVersion(pool),
    latestSchemaVersion: loadPostgresMigrations().length,
    seats: async () => (await pool.query<SeatTotals>(SEAT_TOTALS)).rows,
    outbox: () => totals(MAIL_OUTBOX_TOTALS),
    webhooks: () => totals(WEBHOOK_OUTBOX_TOTALS),
  };
}
