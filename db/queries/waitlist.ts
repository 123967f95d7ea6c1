// Queries on the waiting list of directory users refused for want of a seat.
import type { Sql } from '../sql.js';
import { foldKey } from '../../domain/fold.js';
import type { WaitlistEntry } from '../../domain/records.js';
import type { WaitlistQueries } from '../port.js';

export function createWaitlistQueries(db: Sql): WaitlistQueries {
  // One row per person: a retried attempt counts up instead of adding a row.
  const record = db.prepare<[number, string, string, string, string, string]>(
    `INSERT INTO seat_waitlist (organisation_id, user_name_key, user_name, source, first_attempt_at, last_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (organisation_id, user_name_key) DO UPDATE
       SET attempts = seat_waitlist.attempts + 1, last_attempt_at = excluded.last_attempt_at, resolved_at = NULL`,
  );
  const resolve = db.prepare<[string, number, string]>(
    'UPDATE seat_waitlist SET resolved_at = ? WHERE organisation_id = ? AND user_name_key = ? AND resolved_at IS NULL',
  );
  const open = db.prepare<
    [number],
    {
      user_name: string;
      source: 'scim' | 'jit';
      first_attempt_at: string;
      last_attempt_at: string;
      attempts: number;
    }
  >(
    'SELECT * FROM seat_waitlist WHERE organisation_id = ? AND resolved_at IS NULL ORDER BY first_attempt_at, id',
  );

  return {
    async record(
      organisationId: number,
      userName: string,
      source: 'scim' | 'jit',
      at: string,
    ): Promise<void> {
      await record.run(organisationId, foldKey(userName), userName, source, at, at);
    },
    async resolve(organisationId: number, userName: string, at: string): Promise<void> {
      await resolve.run(at, organisationId, foldKey(userName));
    },
    open: async (organisationId: number): Promise<WaitlistEntry[]> =>
      (await open.all(organisationId)).map((r) => ({
        userName: r.user_name,
        source: r.source,
        firstAttemptAt: r.first_attempt_at,
        lastAttemptAt: r.last_attempt_at,
        attempts: r.attempts,
      })),
  };
}
