// Queries on members. Every lookup is scoped by organisation: a member id alone never crosses tenants.
import type { Db } from '../connection.js';
import type { MemberSource, Role, SeatState } from '../../domain/model.js';
import { mapOptional } from './organisations.js';

export interface Member {
  readonly id: number;
  readonly organisationId: number;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: Role;
  readonly seatState: SeatState;
  readonly tierId: string | null;
  readonly source: MemberSource;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewMember {
  readonly organisationId: number;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: Role;
  readonly source: MemberSource;
  readonly at: string;
}

interface MemberRow {
  id: number;
  organisation_id: number;
  email: string;
  display_name: string | null;
  role: Role;
  seat_state: SeatState;
  tier_id: string | null;
  source: MemberSource;
  created_at: string;
  updated_at: string;
}

const toMember = (r: MemberRow): Member => ({
  id: r.id,
  organisationId: r.organisation_id,
  email: r.email,
  displayName: r.display_name,
  role: r.role,
  seatState: r.seat_state,
  tierId: r.tier_id,
  source: r.source,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createMemberQueries(db: Db) {
  // A new member holds no seat until a claim or an invitation hold moves it in the same transaction.
  const insert = db.prepare<
    [number, string, string, string | null, Role, MemberSource, string, string],
    { id: number }
  >(
    `INSERT INTO members (organisation_id, email, email_key, display_name, role, seat_state, tier_id, source, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'unassigned', NULL, ?, ?, ?) RETURNING id`,
  );
  const byId = db.prepare<[number, number], MemberRow>(
    'SELECT * FROM members WHERE organisation_id = ? AND id = ?',
  );
  const byEmail = db.prepare<[number, string], MemberRow>(
    'SELECT * FROM members WHERE organisation_id = ? AND email_key = ?',
  );
  const primaryOwner = db.prepare<[number], MemberRow>(
    "SELECT * FROM members WHERE organisation_id = ? AND role = 'primary_owner'",
  );
  const list = db.prepare<[number], MemberRow>(
    "SELECT * FROM members WHERE organisation_id = ? AND seat_state <> 'removed' ORDER BY id",
  );
  // Guarded by the state the caller read: a concurrent change makes this a no-op, never a double move.
  const setSeat = db.prepare<[SeatState, string | null, string, number, number, SeatState]>(
    `UPDATE members SET seat_state = ?, tier_id = ?, updated_at = ?
     WHERE organisation_id = ? AND id = ? AND seat_state = ?`,
  );
  const setRole = db.prepare<[Role, string, number, number]>(
    'UPDATE members SET role = ?, updated_at = ? WHERE organisation_id = ? AND id = ?',
  );
  const seatCounts = db.prepare<[number], { tier_id: string; held: number }>(
    `SELECT tier_id, count(*) AS held FROM members
     WHERE organisation_id = ? AND seat_state IN ('seated', 'invited') GROUP BY tier_id`,
  );
  const seatedInTier = db.prepare<[number, string], MemberRow>(
    "SELECT * FROM members WHERE organisation_id = ? AND tier_id = ? AND seat_state = 'seated' ORDER BY id",
  );

  return {
    insert(m: NewMember): number {
      return insert.get(
        m.organisationId,
        m.email,
        m.email.toLowerCase(),
        m.displayName,
        m.role,
        m.source,
        m.at,
        m.at,
      )!.id;
    },
    byId: (organisationId: number, id: number) => mapOptional(byId.get(organisationId, id), toMember),
    byEmail: (organisationId: number, email: string) =>
      mapOptional(byEmail.get(organisationId, email.toLowerCase()), toMember),
    primaryOwner: (organisationId: number) => mapOptional(primaryOwner.get(organisationId), toMember),
    list: (organisationId: number): Member[] => list.all(organisationId).map(toMember),
    /** Moves the member from `from` to (state, tier); false if its state was no longer `from`. */
    setSeat: (m: Member, from: SeatState, state: SeatState, tierId: string | null, at: string): boolean =>
      setSeat.run(state, tierId, at, m.organisationId, m.id, from).changes === 1,
    setRole(m: Member, role: Role, at: string): void {
      setRole.run(role, at, m.organisationId, m.id);
    },
    /** Seats held per tier, counted from member rows (the pool's `held` must always equal this). */
    heldByTier(organisationId: number): Map<string, number> {
      return new Map(seatCounts.all(organisationId).map((r) => [r.tier_id, r.held]));
    },
    seatedInTier: (organisationId: number, tierId: string): Member[] =>
      seatedInTier.all(organisationId, tierId).map(toMember),
  };
}
