// Queries for the owners' notices: each organisation's seat-usage thresholds, the crossings already
// announced, and who is told (the seated owners and primary owner).
import type { Sql } from '../sql.js';
import type { NoticeRecipient } from '../../domain/records.js';
import type { NoticeQueries } from '../port.js';

export function createNoticeQueries(db: Sql): NoticeQueries {
  const thresholds = db.prepare<[number], { notice_thresholds: string }>(
    'SELECT notice_thresholds FROM organisations WHERE id = ?',
  );
  const setThresholds = db.prepare<[string, number]>(
    'UPDATE organisations SET notice_thresholds = ? WHERE id = ?',
  );
  // Owners who can act on a notice: seated (an invited owner has not signed in yet), in role order.
  const owners = db.prepare<[number], { id: number; email: string; display_name: string | null }>(
    `SELECT id, email, display_name FROM members
     WHERE organisation_id = ? AND role IN ('primary_owner', 'owner') AND seat_state = 'seated'
     ORDER BY CASE role WHEN 'primary_owner' THEN 0 ELSE 1 END, id`,
  );
  // The primary key makes two concurrent crossings of one threshold record (and mail) once.
  const cross = db.prepare<[number, string, number, string]>(
    `INSERT INTO threshold_crossings (organisation_id, tier_id, threshold, crossed_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (organisation_id, tier_id, threshold) DO NOTHING`,
  );
  // Re-arms every threshold the usage held/allocation is now below (threshold% > usage%).
  const rearm = db.prepare<{ org: number; tier: string; held: number; allocation: number }>(
    `DELETE FROM threshold_crossings
     WHERE organisation_id = @org AND tier_id = @tier AND threshold * @allocation > @held * 100`,
  );
  const forget = db.prepare<[number, number]>(
    'DELETE FROM threshold_crossings WHERE organisation_id = ? AND threshold = ?',
  );
  const crossings = db.prepare<[number], { tier_id: string; threshold: number; crossed_at: string }>(
    `SELECT tier_id, threshold, crossed_at FROM threshold_crossings
     WHERE organisation_id = ? ORDER BY tier_id, threshold`,
  );

  return {
    /** The organisation's thresholds as stored (a JSON array of percents); undefined if no such organisation. */
    thresholdsJson: async (organisationId: number): Promise<string | undefined> =>
      (await thresholds.get(organisationId))?.notice_thresholds,
    setThresholds: async (organisationId: number, json: string): Promise<boolean> =>
      (await setThresholds.run(json, organisationId)).changes === 1,
    owners: async (organisationId: number): Promise<NoticeRecipient[]> =>
      (await owners.all(organisationId)).map((r) => ({
        memberId: r.id,
        email: r.email,
        displayName: r.display_name,
      })),
    /** Records that usage reached `threshold`; false when it was already recorded (nothing to tell). */
    recordCrossing: async (
      organisationId: number,
      tierId: string,
      threshold: number,
      at: string,
    ): Promise<boolean> => (await cross.run(organisationId, tierId, threshold, at)).changes === 1,
    /** Forgets the crossings of every threshold above the tier's usage now, so they notify again. */
    async rearmBelow(
      organisationId: number,
      tierId: string,
      held: number,
      allocation: number,
    ): Promise<void> {
      await rearm.run({ org: organisationId, tier: tierId, held, allocation });
    },
    /** Forgets every tier's crossing of `threshold` (it is no longer configured). */
    async forgetThreshold(organisationId: number, threshold: number): Promise<void> {
      await forget.run(organisationId, threshold);
    },
    crossings: async (organisationId: number) =>
      (await crossings.all(organisationId)).map((r) => ({
        tierId: r.tier_id,
        threshold: r.threshold,
        crossedAt: r.crossed_at,
      })),
  };
}
