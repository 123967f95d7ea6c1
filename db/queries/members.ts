// Queries on members. Every lookup is scoped by organisation: a member id alone never crosses tenants.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../sql.js';
import { ConflictError } from '../../domain/errors.js';
import { foldKey } from '../../domain/fold.js';
import type { MemberSource, Role, SeatState } from '../../domain/model.js';
import { mapOptional } from './organisations.js';
import type { Member, MemberFilter, MemberSort, NewMember } from '../../domain/records.js';
import type { MemberQueries } from '../port.js';

/** ORDER BY per sort; each ends in id, so paging is stable. Never active sorts as the oldest. */
const ORDER_BY: Readonly<Record<MemberSort, string>> = {
  email: 'email_key, id',
  lastActive: 'last_active_at IS NOT NULL, last_active_at, email_key, id',
  '-lastActive': 'last_active_at IS NULL, last_active_at DESC, email_key, id',
};

/** `text` as a LIKE pattern matching it anywhere, its wildcards escaped (with `\`). */
function containing(text: string): string {
  return `%${foldKey(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface MemberRow {
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
  public_id: string;
  user_name: string | null;
  external_id: string | null;
  scim_resource: string | null;
  version: number;
  waiting_since: string | null;
  last_active_at: string | null;
}

export const toMember = (r: MemberRow): Member => ({
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
  publicId: r.public_id,
  userName: r.user_name,
  externalId: r.external_id,
  scimResource: r.scim_resource === null ? null : (JSON.parse(r.scim_resource) as Record<string, unknown>),
  version: r.version,
  waitingSince: r.waiting_since,
  lastActiveAt: r.last_active_at ?? null,
});

/** The columns a seat move sets, as it returns them: seat_state, tier_id, updated_at, version, waiting_since. */
export type MovedColumns = [SeatState, string | null, string, number, string | null];

/**
 * The member `m` after a seat move that returned `moved`. The other columns are as `m` has them,
 * unless another transaction changed the row since it was read (the version counts every change):
 * then it is read again.
 */
export function asMoved(
  m: Member,
  moved: MovedColumns,
  reread: (m: Member) => Promise<Member | undefined>,
): Member | Promise<Member | undefined> {
  const [seatState, tierId, updatedAt, version, waitingSince] = moved;
  if (version !== m.version + 1) return reread(m);
  return { ...m, seatState, tierId, updatedAt, version, waitingSince };
}

const NOTHING: Promise<void> = Promise.resolve();

export function createMemberQueries(db: Sql): MemberQueries {
  // A new member holds no seat until a claim or an invitation hold moves it in the same transaction.
  const insert = db.prepare<
    [string, number, string, string, string | null, Role, MemberSource, string, string],
    MemberRow
  >(
    `INSERT INTO members (public_id, organisation_id, email, email_key, display_name, role, seat_state, tier_id, source, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'unassigned', NULL, ?, ?, ?) RETURNING *`,
  );
  const byId = db.prepare<[number, number], MemberRow>(
    'SELECT * FROM members WHERE organisation_id = ? AND id = ?',
  );
  const reread = (m: Member) => byId.get(m.organisationId, m.id).then((row) => mapOptional(row, toMember));
  // hashtextextended: a 64-bit key from the text; two addresses sharing one only wait for each other.
  const lockAddress =
    db.dialect === 'postgres'
      ? db.prepare<[string]>(
          "SELECT pg_advisory_xact_lock(hashtextextended('seatkeeper member address ' || ?, 0))",
        )
      : undefined;
  const withEmail = db.prepare<[number, string], MemberRow>(
    'SELECT * FROM members WHERE organisation_id = ? AND email_key = ? ORDER BY id',
  );
  const primaryOwner = db.prepare<[number], MemberRow>(
    "SELECT * FROM members WHERE organisation_id = ? AND role = 'primary_owner'",
  );
  const list = db.prepare<[number], MemberRow>(
    "SELECT * FROM members WHERE organisation_id = ? AND seat_state <> 'removed' ORDER BY id",
  );
  // Guarded by the state the caller read: a concurrent change makes this a no-op, never a double move.
  // A member entering awaiting_seat starts waiting now; one already waiting keeps its place.
  const setSeat = db.prepare<
    {
      state: SeatState;
      tier: string | null;
      at: string;
      org: number;
      id: number;
      from: SeatState;
    },
    MovedColumns
  >(
    // Only the moved columns come back (a row carries the user's whole SCIM resource, and every
    // seat move passes here), as an array: the cheapest row the driver hands back.
    `UPDATE members SET seat_state = @state, tier_id = @tier, updated_at = @at, version = version + 1,
       waiting_since = CASE WHEN @state = 'awaiting_seat' THEN COALESCE(waiting_since, @at) ELSE NULL END
     WHERE organisation_id = @org AND id = @id AND seat_state = @from
     RETURNING seat_state, tier_id, updated_at, version, waiting_since`,
    { rowsAsArrays: true },
  );
  const setRole = db.prepare<[Role, string, number, number]>(
    'UPDATE members SET role = ?, updated_at = ?, version = version + 1 WHERE organisation_id = ? AND id = ?',
  );
  const seatCounts = db.prepare<[number], { tier_id: string; held: number }>(
    `SELECT tier_id, count(*) AS held FROM members
     WHERE organisation_id = ? AND seat_state IN ('seated', 'invited') GROUP BY tier_id`,
  );
  const holdersByTier = db.prepare<
    [number],
    { tier_id: string; seat_state: 'seated' | 'invited'; n: number }
  >(
    `SELECT tier_id, seat_state, count(*) AS n FROM members
     WHERE organisation_id = ? AND seat_state IN ('seated', 'invited') GROUP BY tier_id, seat_state`,
  );

  const prepared = db.cache(64);

  return {
    /**
     * One page of the members matching `filter`, ordered by `sort` (folded email by default), then
     * id (a stable order: paging never repeats or skips a row that did not change), and how many
     * match in all. The conditions only add `AND`s with bound parameters. Names are compared
     * through fold_key(), the same fold as email_key, so the match is case-insensitive the same way
     * on every backend.
     */
    async search(
      organisationId: number,
      filter: MemberFilter,
      page: { readonly limit: number; readonly offset: number },
      sort: MemberSort = 'email',
    ): Promise<{ members: Member[]; total: number }> {
      const where = ['organisation_id = ?'];
      const params: unknown[] = [organisationId];
      const add = (sql: string, ...values: unknown[]) => {
        where.push(sql);
        params.push(...values);
      };
      if (filter.seatState !== undefined) add('seat_state = ?', filter.seatState);
      else where.push("seat_state <> 'removed'");
      if (filter.role !== undefined) add('role = ?', filter.role);
      if (filter.tierId !== undefined) add('tier_id = ?', filter.tierId);
      if (filter.source !== undefined) add('source = ?', filter.source);
      if (filter.text !== undefined && filter.text !== '') {
        const pattern = containing(filter.text);
        add(
          "(email_key LIKE ? ESCAPE '\\' OR fold_key(coalesce(display_name, '')) LIKE ? ESCAPE '\\')",
          pattern,
          pattern,
        );
      }
      if (filter.inactiveSince !== undefined) {
        add('(last_active_at IS NULL OR last_active_at < ?)', filter.inactiveSince);
      }
      const conditions = where.join(' AND ');
      const rows = (await prepared(
        `SELECT * FROM members WHERE ${conditions} ORDER BY ${ORDER_BY[sort]} LIMIT ? OFFSET ?`,
      ).all(...params, page.limit, page.offset)) as MemberRow[];
      const { n } = (await prepared(`SELECT count(*) AS n FROM members WHERE ${conditions}`).get(
        ...params,
      )) as {
        n: number;
      };
      return { members: rows.map(toMember), total: n };
    },
    insert: (m: NewMember): Promise<Member> =>
      insert
        .get(
          randomUUID(),
          m.organisationId,
          m.email,
          foldKey(m.email),
          m.displayName,
          m.role,
          m.source,
          m.at,
          m.at,
        )
        .then((row) => toMember(row!)),
    byId: (organisationId: number, id: number) =>
      byId.get(organisationId, id).then((row) => mapOptional(row, toMember)),
    /** Every member row with this address (case-insensitive), removed ones included, oldest first. */
    // Without a statement to run (SQLite) nothing is folded or awaited: every admission passes here.
    lockAddress:
      lockAddress === undefined
        ? () => NOTHING
        : async (organisationId: number, email: string): Promise<void> => {
            await lockAddress.run(`${organisationId} ${foldKey(email)}`);
          },
    withEmail: async (organisationId: number, email: string): Promise<Member[]> =>
      (await withEmail.all(organisationId, foldKey(email))).map(toMember),
    /**
     * The one current (not removed) member with this address, else the most recently removed one.
     * Several current members may share an address (directory users); then this refuses to guess.
     */
    async byEmail(organisationId: number, email: string): Promise<Member | undefined> {
      const rows = (await withEmail.all(organisationId, foldKey(email))).map(toMember);
      const live = rows.filter((m) => m.seatState !== 'removed');
      if (live.length > 1) {
        throw new ConflictError(
          `${live.length} members share the address ${email}; name the member another way.`,
          {},
          'ambiguous_email',
        );
      }
      return live[0] ?? rows.at(-1);
    },
    primaryOwner: async (organisationId: number) =>
      mapOptional(await primaryOwner.get(organisationId), toMember),
    list: async (organisationId: number): Promise<Member[]> => (await list.all(organisationId)).map(toMember),
    /** Moves the member from `from` to (state, tier) and returns it moved; undefined if its state was no longer `from`. */
    setSeat: (
      m: Member,
      from: SeatState,
      state: SeatState,
      tierId: string | null,
      at: string,
    ): Promise<Member | undefined> =>
      setSeat
        .get({ state, tier: tierId, at, org: m.organisationId, id: m.id, from })
        .then((moved) => (moved === undefined ? undefined : asMoved(m, moved, reread))),
    async setRole(m: Member, role: Role, at: string): Promise<void> {
      await setRole.run(role, at, m.organisationId, m.id);
    },
    /** Seats held per tier, counted from member rows (the pool's `held` must always equal this). */
    async heldByTier(organisationId: number): Promise<Map<string, number>> {
      return new Map((await seatCounts.all(organisationId)).map((r) => [r.tier_id, r.held]));
    },
    /** Seated and invited members per tier, counted in SQL. */
    async holdersByTier(organisationId: number): Promise<Map<string, { seated: number; invited: number }>> {
      const counts = new Map<string, { seated: number; invited: number }>();
      for (const r of await holdersByTier.all(organisationId)) {
        const c = counts.get(r.tier_id) ?? { seated: 0, invited: 0 };
        c[r.seat_state] = r.n;
        counts.set(r.tier_id, c);
      }
      return counts;
    },
  };
}
