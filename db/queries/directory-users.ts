// Queries on the directory side of members (their SCIM columns): lookups by SCIM id, userName and
// externalId, SQL-side listing of every member, and writes of the stored SCIM attributes.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../sql.js';
import { foldKey } from '../../domain/fold.js';
import { compileUserFilter, sortDirection, userSortExpression } from '../scim-filter-sql.js';
import { toMember, type MemberRow } from './members.js';
import { isPublicId, mapOptional } from './organisations.js';
import type { DirectoryFields, ListPage, Member } from '../../domain/records.js';
import type { DirectoryUserQueries } from '../port.js';

/**
 * Members SCIM shows: every current member of the organisation, whether the provider pushed them or
 * they signed in just in time or accepted an invitation, so an import or a matching query finds
 * them. A pending invitation is not an account yet: it is shown once the provider links it (a
 * create with its address does). Exactly the condition of the partial index members_listed.
 */
const LISTED =
  "m.organisation_id = ? AND m.seat_state <> 'removed' AND (m.user_name_key IS NOT NULL OR m.seat_state <> 'invited')";

/** Members the directory manages: those with a userName (pushed or linked) that have not been deleted. */
const MANAGED = "m.organisation_id = ? AND m.user_name_key IS NOT NULL AND m.seat_state <> 'removed'";

export function createDirectoryUserQueries(db: Sql): DirectoryUserQueries {
  const byPublicId = db.prepare<[number, string], MemberRow>(
    `SELECT m.* FROM members m WHERE ${LISTED} AND m.public_id = ?`,
  );
  const byUserName = db.prepare<[number, string], MemberRow>(
    'SELECT * FROM members WHERE organisation_id = ? AND user_name_key = ?',
  );
  // A new directory user with its SCIM attributes in one statement. Like members.insert, it holds
  // no seat until a claim moves it in the same transaction. No RETURNING: SQLite passes returned
  // rows through a temporary table, which made this insert half as dear again, and every column's
  // value is known already.
  const insert = db.prepare<
    [string, number, string, string, string | null, string, string, string, string, string | null, string],
    { id: number }
  >(
    `INSERT INTO members (public_id, organisation_id, email, email_key, display_name, role, seat_state, tier_id,
       source, created_at, updated_at, user_name, user_name_key, external_id, scim_resource)
     VALUES (?, ?, ?, ?, ?, 'user', 'unassigned', NULL, 'scim', ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const setFields = db.prepare<{
    org: number;
    id: number;
    userName: string;
    userNameKey: string;
    emailKey: string;
    externalId: string | null;
    email: string;
    displayName: string | null;
    resource: string;
    at: string;
  }>(
    `UPDATE members SET user_name = @userName, user_name_key = @userNameKey, external_id = @externalId,
       email = @email, email_key = @emailKey, display_name = @displayName, scim_resource = @resource,
       updated_at = @at, version = version + 1
     WHERE organisation_id = @org AND id = @id`,
  );
  const ids = db.prepare<[number], { id: number }>(
    `SELECT m.id FROM members m WHERE ${MANAGED} ORDER BY m.id`,
  );
  const waiting = db.prepare<[number], MemberRow>(
    "SELECT * FROM members WHERE organisation_id = ? AND seat_state = 'awaiting_seat' ORDER BY waiting_since, id",
  );
  const prepared = db.cache();

  return {
    /** Any current member by its SCIM id, whether the directory manages it yet or not. */
    byPublicId: async (organisationId: number, publicId: string) =>
      isPublicId(publicId)
        ? mapOptional(await byPublicId.get(organisationId, publicId), toMember)
        : undefined,
    /** Any member row with this userName (case-insensitive), deleted ones included. */
    byUserName: async (organisationId: number, userName: string) =>
      mapOptional(await byUserName.get(organisationId, foldKey(userName)), toMember),
    /** A new member (role user, source scim, no seat) with these directory fields, as stored. */
    async insert(organisationId: number, f: DirectoryFields, at: string): Promise<Member> {
      const publicId = randomUUID();
      const resource = JSON.stringify(f.resource);
      const { id } = (await insert.get(
        publicId,
        organisationId,
        f.email,
        foldKey(f.email),
        f.displayName,
        at,
        at,
        f.userName,
        foldKey(f.userName),
        f.externalId,
        resource,
      ))!;
      // The row as toMember would read it back (the column defaults: version 1, not waiting).
      return {
        id,
        organisationId,
        email: f.email,
        displayName: f.displayName,
        role: 'user',
        seatState: 'unassigned',
        tierId: null,
        source: 'scim',
        createdAt: at,
        updatedAt: at,
        publicId,
        userName: f.userName,
        externalId: f.externalId,
        scimResource: JSON.parse(resource) as Record<string, unknown>,
        version: 1,
        waitingSince: null,
        lastActiveAt: null,
      };
    },
    async setFields(member: Member, f: DirectoryFields, at: string): Promise<void> {
      await setFields.run({
        org: member.organisationId,
        id: member.id,
        userName: f.userName,
        userNameKey: foldKey(f.userName),
        emailKey: foldKey(f.email),
        externalId: f.externalId,
        email: f.email,
        displayName: f.displayName,
        resource: JSON.stringify(f.resource),
        at,
      });
    },
    /** Ids of every member the directory manages (pushed or linked), oldest first. */
    ids: async (organisationId: number): Promise<number[]> =>
      (await ids.all(organisationId)).map((r) => r.id),
    /** Members waiting for a seat, first come first served. */
    waiting: async (organisationId: number): Promise<Member[]> =>
      (await waiting.all(organisationId)).map(toMember),
    /** One page of the directory and the total matching count, both computed in SQL. */
    async list(organisationId: number, page: ListPage): Promise<{ total: number; members: Member[] }> {
      const compiled = page.filter ? compileUserFilter(page.filter, db.dialect) : undefined;
      const where = compiled ? ` AND (${compiled.sql})` : '';
      const params = [organisationId, ...(compiled?.params ?? [])];
      // Unfiltered and in id order, the listing is the partial index members_listed itself;
      // SQLite's planner otherwise prefers another index and counts through the table rows.
      // INDEXED BY is SQLite's alone; PostgreSQL's planner picks the index by its statistics.
      const from =
        !compiled && !page.sortBy && db.dialect === 'sqlite'
          ? 'members m INDEXED BY members_listed'
          : 'members m';
      const total = (
        (await prepared(`SELECT count(*) AS n FROM ${from} WHERE ${LISTED}${where}`).get(...params)) as {
          n: number;
        }
      ).n;
      if (page.limit === 0 || page.offset >= total) return { total, members: [] };
      const direction = page.descending ? 'DESC' : 'ASC';
      // The id tie-break makes the order stable across pages (RFC 7644 §3.4.2.4).
      const order = page.sortBy
        ? `${userSortExpression(page.sortBy, db.dialect)} ${sortDirection(page.descending)}, m.id ${direction}`
        : `m.id ${direction}`;
      const rows: MemberRow[] = [];
      let bytes = 0;
      for await (const row of prepared(
        `SELECT m.* FROM ${from} WHERE ${LISTED}${where} ORDER BY ${order} LIMIT ? OFFSET ?`,
      ).iterate(...params, page.limit, page.offset) as AsyncIterable<MemberRow>) {
        rows.push(row);
        bytes += row.scim_resource?.length ?? 0;
        if (page.maxBytes !== undefined && bytes >= page.maxBytes) break;
      }
      return { total, members: rows.map(toMember) };
    },
  };
}
