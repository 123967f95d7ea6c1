// The statements of the database statistics (db/port.ts DatabaseStats), one text for both dialects:
// db/sqlite/stats.ts and db/postgres/stats.ts run them as they are. The alias of a mixed-case column
// is quoted because PostgreSQL folds an unquoted one to lower case; SQLite accepts the quotes.

/**
 * One row per organisation and tier, with the organisation's waiting counts beside it. The
 * subqueries read the partial index of awaiting members and the waiting list's own key.
 */
export const SEAT_TOTALS = `SELECT o.slug AS organisation, p.tier_id AS tier, p.allocation AS allocation, p.held AS held,
   (SELECT count(*) FROM members m
     WHERE m.organisation_id = o.id AND m.seat_state = 'awaiting_seat') AS awaiting,
   (SELECT count(*) FROM seat_waitlist w
     WHERE w.organisation_id = o.id AND w.resolved_at IS NULL) AS refused
 FROM seat_pools p JOIN organisations o ON o.id = p.organisation_id
 ORDER BY o.slug, p.tier_id`;

/**
 * The pending rows of an outbox table (mail: outbox; webhooks: webhook_deliveries). The worker's
 * partial index holds exactly the pending rows, so the history (delivered and given-up rows, kept
 * for good) is never read.
 */
const pendingTotals = (table: 'outbox' | 'webhook_deliveries') =>
  `SELECT count(*) AS pending, count(last_error) AS retrying, min(created_at) AS "oldestPendingAt"
 FROM ${table} WHERE delivered_at IS NULL AND failed_at IS NULL`;

export const MAIL_OUTBOX_TOTALS = pendingTotals('outbox');
export const WEBHOOK_OUTBOX_TOTALS = pendingTotals('webhook_deliveries');
