// What the organisation routes' tests compare before and after a refused request: every row those
// routes could write, read straight from the database (the SQLite file, or the test's PostgreSQL
// database), so "nothing was written" is checked against storage itself rather than through the
// code under test.
import type { ApiWorld } from './api.js';
import { readStored } from './stored-rows.js';

const QUERIES = {
  audit: 'SELECT count(*) AS n, max(id) AS last FROM audit_log',
  quotes: 'SELECT id, total_minor FROM quotes ORDER BY id',
  invoices: 'SELECT number, total_minor FROM invoices ORDER BY id',
  pools: 'SELECT organisation_id, tier_id, allocation, held FROM seat_pools ORDER BY 1, 2',
  members: 'SELECT id, role, seat_state, tier_id FROM members ORDER BY id',
  organisations:
    'SELECT id, provisioning_mode, seat_exhaustion, notice_thresholds, group_mappings_enabled FROM organisations ORDER BY id',
  sso: 'SELECT id, name, enabled, config, secret FROM sso_connections ORDER BY id',
  identities: 'SELECT connection_id, subject, member_id FROM sso_identities ORDER BY 1, 2',
  scimTokens: 'SELECT id, name, revoked_at FROM scim_tokens ORDER BY id',
  mappings: 'SELECT organisation_id, group_name_key, role, tier_id FROM group_mappings ORDER BY 1, 2',
  outbox: 'SELECT count(*) AS n FROM outbox',
  webhookEndpoints: 'SELECT id, url, events, secret, enabled, deleted_at FROM webhook_endpoints ORDER BY id',
  webhookDeliveries: 'SELECT id, event_id, next_attempt_at, failed_at FROM webhook_deliveries ORDER BY id',
} as const;

/** A comparable picture of everything the organisation routes write (SQLite or PostgreSQL alike). */
export async function storedState(w: ApiWorld): Promise<Record<keyof typeof QUERIES, unknown>> {
  return await readStored(w, async (db) => {
    const state = {} as Record<keyof typeof QUERIES, unknown>;
    for (const name of Object.keys(QUERIES) as (keyof typeof QUERIES)[])
      state[name] = await db.all(QUERIES[name]);
    return state;
  });
}
