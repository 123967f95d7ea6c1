// Recording a change in the audit log: the one call that appends an audit row and writes the
// webhook events derived from it (webhooks/events.ts). Both are written inside the caller's write
// transaction, so the row and its events commit, or roll back, with the change they record.
import type { AuditEntry } from '../domain/records.js';
import type { Queries } from '../db/port.js';
import { recordEvents, type EventQueries } from '../webhooks/events.js';

/** The tables recording an entry writes: the audit log, and what its events need. */
export type RecordingQueries = Pick<Queries, 'audit'> & EventQueries;

/**
 * Appends `entry` and writes its webhook events and their deliveries, in the caller's transaction
 * (call it from within `store.write`; it never opens one of its own). The row comes first: an
 * event is derived from a recorded change, never written without one.
 */
export async function recordAudit(q: RecordingQueries, entry: AuditEntry): Promise<void> {
  await q.audit.insert(entry);
  await recordEvents(q, entry);
}
