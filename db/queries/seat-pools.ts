// Queries on the seat pool: allocation and held seats per organisation and tier.
//
// Every change of `held` is a single conditional UPDATE whose WHERE clause carries the invariant
// (held < allocation to claim, held > 0 to release), valid as written in SQLite and PostgreSQL.
// Under concurrent writers the database serialises the row update and re-checks the condition, so
// no interleaving can push held past allocation; the CHECK constraint backs this up.
import type { Sql } from '../sql.js';
import type { SeatState } from '../../domain/model.js';
import type { HeldCount, Member, PoolTier } from '../../domain/records.js';
import type { MemberQueries, SeatPoolQueries } from '../port.js';
import { asMoved, type MovedColumns } from './members.js';

interface PoolRow {
  tier_id: string;
  tier_name: string;
  rank: number;
  unit_price_minor: number;
  allocation: number;
  held: number;
}

const toPoolTier = (r: PoolRow): PoolTier => ({
  tierId: r.tier_id,
  tierName: r.tier_name,
  rank: r.rank,
  unitPriceMinor: r.unit_price_minor,
  allocation: r.allocation,
  held: r.held,
});

const toHeldCount = (r: [number, number, string] | undefined): HeldCount | undefined =>
  r === undefined ? undefined : { held: r[0], allocation: r[1], thresholds: r[2] };

/**
 * `members` moves the member a claim is for (claimRankedFor): where the claim and the move are two
 * statements, the second is the member queries' own.
 */
export function createSeatPoolQueries(
  db: Sql,
  members: Pick<MemberQueries, 'setSeat' | 'byId'>,
): SeatPoolQueries {
  const insert = db.prepare<[number, string, number, number]>(
    'INSERT INTO seat_pools (organisation_id, tier_id, unit_price_minor, allocation) VALUES (?, ?, ?, ?)',
  );
  const list = db.prepare<[number], PoolRow>(
    `SELECT p.tier_id, t.name AS tier_name, t.rank, p.unit_price_minor, p.allocation, p.held
     FROM seat_pools p JOIN tiers t ON t.id = p.tier_id
     WHERE p.organisation_id = ? ORDER BY t.rank DESC`,
  );
  const claim = db.prepare<[number, string]>(
    'UPDATE seat_pools SET held = held + 1 WHERE organisation_id = ? AND tier_id = ? AND held < allocation',
  );
  const release = db.prepare<[number, string]>(
    'UPDATE seat_pools SET held = held - 1 WHERE organisation_id = ? AND tier_id = ? AND held > 0',
  );
  // The same conditional UPDATEs, returning the counter they left (RETURNING: SQLite ≥ 3.35 and
  // PostgreSQL), so the seat-threshold notice needs no read of its own on the hot path. Positional
  // parameters and rows as arrays: this is every claim's statement, and both are measurably cheaper.
  const COUNTED =
    'held, allocation, (SELECT notice_thresholds FROM organisations o WHERE o.id = seat_pools.organisation_id)';
  const claimCounted = db.prepare<[number, string], [number, number, string]>(
    `UPDATE seat_pools SET held = held + 1 WHERE organisation_id = ? AND tier_id = ? AND held < allocation RETURNING ${COUNTED}`,
    { rowsAsArrays: true },
  );
  // The tier is chosen by rank inside the UPDATE, so a claim by rank is one statement. The outer
  // `held < allocation` is checked again on the row the UPDATE locks: on PostgreSQL another
  // transaction may have filled the chosen tier after the subquery's snapshot, and then this
  // updates nothing rather than overfill it.
  const claimRankedSql = (direction: 'DESC' | 'ASC') =>
    `UPDATE seat_pools SET held = held + 1
     WHERE organisation_id = ? AND held < allocation AND tier_id = (
       SELECT p.tier_id FROM seat_pools p JOIN tiers t ON t.id = p.tier_id
       WHERE p.organisation_id = ? AND p.held < p.allocation ORDER BY t.rank ${direction} LIMIT 1)
     RETURNING tier_id, ${COUNTED}`;
  const claimRanked = {
    highest: db.prepare<[number, number], [string, number, number, string]>(claimRankedSql('DESC'), {
      rowsAsArrays: true,
    }),
    lowest: db.prepare<[number, number], [string, number, number, string]>(claimRankedSql('ASC'), {
      rowsAsArrays: true,
    }),
  };
  // On PostgreSQL the claim by rank and the member's move are one statement: the member is moved
  // (the same UPDATE as members.setSeat, to seated) in the tier the claim took, and only if it took
  // one; the LEFT JOIN tells "no seat" (no row) from "a seat, but the member had changed" (a row
  // without the member's columns). Data-modifying WITH is PostgreSQL's; SQLite runs the two
  // statements in turn, which costs it nothing, as its write lock is held in-process.
  type ClaimedFor = [string, number, number, string, ...(MovedColumns | [null, null, null, null, null])];
  const claimRankedForSql = (direction: 'DESC' | 'ASC') =>
    `WITH taken AS (${claimRankedSql(direction).replaceAll('?', '@org')}),
     moved AS (
       UPDATE members SET seat_state = 'seated', tier_id = taken.tier_id, updated_at = @at,
         version = version + 1, waiting_since = NULL
       FROM taken
       WHERE members.organisation_id = @org AND members.id = @id AND members.seat_state = @from
       RETURNING members.seat_state, members.tier_id, members.updated_at, members.version, members.waiting_since)
     SELECT taken.*, moved.* FROM taken LEFT JOIN moved ON true`;
  const claimRankedFor =
    db.dialect === 'postgres'
      ? {
          highest: db.prepare<Record<string, unknown>, ClaimedFor>(claimRankedForSql('DESC'), {
            rowsAsArrays: true,
          }),
          lowest: db.prepare<Record<string, unknown>, ClaimedFor>(claimRankedForSql('ASC'), {
            rowsAsArrays: true,
          }),
        }
      : undefined;
  const reread = (m: Member) => members.byId(m.organisationId, m.id);
  const takeRanked = (organisationId: number, order: 'highest' | 'lowest') =>
    claimRanked[order]
      .get(organisationId, organisationId)
      .then((r) =>
        r === undefined
          ? undefined
          : { tierId: r[0], count: { held: r[1], allocation: r[2], thresholds: r[3] } },
      );
  const releaseCounted = db.prepare<[number, string], [number, number, string]>(
    `UPDATE seat_pools SET held = held - 1 WHERE organisation_id = ? AND tier_id = ? AND held > 0 RETURNING ${COUNTED}`,
    { rowsAsArrays: true },
  );
  const raise = db.prepare<[number, number, string]>(
    'UPDATE seat_pools SET allocation = allocation + ? WHERE organisation_id = ? AND tier_id = ?',
  );
  // Only unheld seats can leave a tier (an upgrade converts them); the condition keeps held ≤ allocation.
  const lower = db.prepare<[number, number, string, number]>(
    'UPDATE seat_pools SET allocation = allocation - ? WHERE organisation_id = ? AND tier_id = ? AND allocation - held >= ?',
  );
  const resetToHeld = db.prepare<[number]>(
    'UPDATE seat_pools SET allocation = held WHERE organisation_id = ?',
  );

  return {
    async insert(
      organisationId: number,
      tierId: string,
      unitPriceMinor: number,
      allocation: number,
    ): Promise<void> {
      await insert.run(organisationId, tierId, unitPriceMinor, allocation);
    },
    /** The organisation's tiers, highest rank first. */
    list: (organisationId: number): Promise<PoolTier[]> =>
      list.all(organisationId).then((rows) => rows.map(toPoolTier)),
    /** Takes one unclaimed seat of the tier; false when none is left. */
    claim: async (organisationId: number, tierId: string): Promise<boolean> =>
      (await claim.run(organisationId, tierId)).changes === 1,
    /** claim(), returning the tier's new count; undefined when no seat is left. */
    claimCounted: (organisationId: number, tierId: string): Promise<HeldCount | undefined> =>
      claimCounted.get(organisationId, tierId).then(toHeldCount),
    claimRanked: takeRanked,
    async claimRankedFor(member: Member, from: SeatState, order: 'highest' | 'lowest', at: string) {
      if (claimRankedFor === undefined) {
        const taken = await takeRanked(member.organisationId, order);
        if (taken === undefined) return undefined;
        return { ...taken, member: await members.setSeat(member, from, 'seated', taken.tierId, at) };
      }
      const row = await claimRankedFor[order].get({ org: member.organisationId, id: member.id, from, at });
      if (row === undefined) return undefined;
      const [tierId, held, allocation, thresholds, ...moved] = row;
      return {
        tierId,
        count: { held, allocation, thresholds },
        member: moved[0] === null ? undefined : await asMoved(member, moved, reread),
      };
    },
    /** release(), returning the tier's new count; undefined if none was held (a broken invariant). */
    releaseCounted: (organisationId: number, tierId: string): Promise<HeldCount | undefined> =>
      releaseCounted.get(organisationId, tierId).then(toHeldCount),
    /** Returns one held seat of the tier to the pool; false if none was held (a broken invariant). */
    release: async (organisationId: number, tierId: string): Promise<boolean> =>
      (await release.run(organisationId, tierId)).changes === 1,
    async raiseAllocation(organisationId: number, tierId: string, by: number): Promise<void> {
      if ((await raise.run(by, organisationId, tierId)).changes !== 1)
        throw new Error(`no ${tierId} pool for organisation ${organisationId}`);
    },
    /** Removes `by` unclaimed seats from the tier; false when fewer are unclaimed. */
    lowerAllocation: async (organisationId: number, tierId: string, by: number): Promise<boolean> =>
      (await lower.run(by, organisationId, tierId, by)).changes === 1,
    /** Renewal: the new term's allocation is what is in use at the end of the old one. */
    async resetAllocationToHeld(organisationId: number): Promise<void> {
      await resetToHeld.run(organisationId);
    },
  };
}
