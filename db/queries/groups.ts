// Queries on directory groups and their memberships. Membership is one row per (group, member),
// so a change to a huge group touches only the rows it names.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../sql.js';
import { foldKey } from '../../domain/fold.js';
import { compileGroupFilter, sortDirection, groupSortExpression } from '../scim-filter-sql.js';
import { isPublicId, mapOptional } from './organisations.js';
import type { Group, GroupMemberRef, ListPage } from '../../domain/records.js';
import type { GroupQueries } from '../port.js';

interface GroupRow {
  id: number;
  organisation_id: number;
  public_id: string;
  display_name: string;
  external_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

const toGroup = (r: GroupRow): Group => ({
  id: r.id,
  organisationId: r.organisation_id,
  publicId: r.public_id,
  displayName: r.display_name,
  externalId: r.external_id,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createGroupQueries(db: Sql): GroupQueries {
  const insert = db.prepare<[string, number, string, string, string | null, string, string], { id: number }>(
    `INSERT INTO scim_groups (public_id, organisation_id, display_name, display_name_key, external_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const byPublicId = db.prepare<[number, string], GroupRow>(
    'SELECT * FROM scim_groups WHERE organisation_id = ? AND public_id = ?',
  );
  const byId = db.prepare<[number, number], GroupRow>(
    'SELECT * FROM scim_groups WHERE organisation_id = ? AND id = ?',
  );
  const byName = db.prepare<[number, string], GroupRow>(
    'SELECT * FROM scim_groups WHERE organisation_id = ? AND display_name_key = ?',
  );
  const update = db.prepare<[string, string, string | null, string, number, number]>(
    `UPDATE scim_groups SET display_name = ?, display_name_key = ?, external_id = ?, updated_at = ?, version = version + 1
     WHERE organisation_id = ? AND id = ?`,
  );
  const touch = db.prepare<[string, number]>(
    'UPDATE scim_groups SET updated_at = ?, version = version + 1 WHERE id = ?',
  );
  const remove = db.prepare<[number]>('DELETE FROM scim_groups WHERE id = ?');
  // ON CONFLICT DO NOTHING (SQLite ≥ 3.24 and PostgreSQL alike): adding a present member is a no-op.
  const addMember = db.prepare<[number, number]>(
    'INSERT INTO scim_group_members (group_id, member_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  const removeMember = db.prepare<[number, number]>(
    'DELETE FROM scim_group_members WHERE group_id = ? AND member_id = ?',
  );
  const removeAllMembers = db.prepare<[number]>('DELETE FROM scim_group_members WHERE group_id = ?');
  const removeFromAll = db.prepare<[number]>('DELETE FROM scim_group_members WHERE member_id = ?');
  const members = db.prepare<
    [number],
    { member_id: number; public_id: string; display_name: string | null; user_name: string | null }
  >(
    `SELECT gm.member_id, m.public_id, m.display_name, m.user_name FROM scim_group_members gm
     JOIN members m ON m.id = gm.member_id WHERE gm.group_id = ? ORDER BY gm.member_id`,
  );
  const memberIds = db.prepare<[number], { member_id: number }>(
    'SELECT member_id FROM scim_group_members WHERE group_id = ?',
  );
  const groupsOf = db.prepare<[number], GroupRow>(
    `SELECT g.* FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id WHERE gm.member_id = ? ORDER BY g.id`,
  );
  const prepared = db.cache();

  return {
    async insert(
      organisationId: number,
      displayName: string,
      externalId: string | null,
      at: string,
    ): Promise<Group> {
      const { id } = (await insert.get(
        randomUUID(),
        organisationId,
        displayName,
        foldKey(displayName),
        externalId,
        at,
        at,
      ))!;
      return toGroup((await byId.get(organisationId, id))!);
    },
    byPublicId: async (organisationId: number, publicId: string) =>
      isPublicId(publicId) ? mapOptional(await byPublicId.get(organisationId, publicId), toGroup) : undefined,
    byId: async (organisationId: number, id: number) =>
      mapOptional(await byId.get(organisationId, id), toGroup),
    byName: async (organisationId: number, displayName: string) =>
      mapOptional(await byName.get(organisationId, foldKey(displayName)), toGroup),
    async update(group: Group, displayName: string, externalId: string | null, at: string): Promise<void> {
      await update.run(displayName, foldKey(displayName), externalId, at, group.organisationId, group.id);
    },
    /** Bumps the version after a membership change. */
    async touch(group: Group, at: string): Promise<void> {
      await touch.run(at, group.id);
    },
    async remove(group: Group): Promise<void> {
      await removeAllMembers.run(group.id);
      await remove.run(group.id);
    },
    /** True when the member was not in the group before. */
    addMember: async (group: Group, memberId: number): Promise<boolean> =>
      (await addMember.run(group.id, memberId)).changes === 1,
    /** True when the member was in the group. */
    removeMember: async (group: Group, memberId: number): Promise<boolean> =>
      (await removeMember.run(group.id, memberId)).changes === 1,
    async removeAllMembers(group: Group): Promise<void> {
      await removeAllMembers.run(group.id);
    },
    async removeFromAllGroups(memberId: number): Promise<void> {
      await removeFromAll.run(memberId);
    },
    members: async (group: Group): Promise<GroupMemberRef[]> =>
      (await members.all(group.id)).map((r) => ({
        memberId: r.member_id,
        publicId: r.public_id,
        display: r.display_name ?? r.user_name,
      })),
    memberIds: async (group: Group): Promise<number[]> =>
      (await memberIds.all(group.id)).map((r) => r.member_id),
    groupsOf: async (memberId: number): Promise<Group[]> => (await groupsOf.all(memberId)).map(toGroup),
    async list(organisationId: number, page: ListPage): Promise<{ total: number; groups: Group[] }> {
      const compiled = page.filter ? compileGroupFilter(page.filter, db.dialect) : undefined;
      const where = compiled ? ` AND (${compiled.sql})` : '';
      const params = [organisationId, ...(compiled?.params ?? [])];
      const total = (
        (await prepared(`SELECT count(*) AS n FROM scim_groups g WHERE g.organisation_id = ?${where}`).get(
          ...params,
        )) as { n: number }
      ).n;
      if (page.limit === 0 || page.offset >= total) return { total, groups: [] };
      const direction = page.descending ? 'DESC' : 'ASC';
      const order = page.sortBy
        ? `${groupSortExpression(page.sortBy, db.dialect)} ${sortDirection(page.descending)}, g.id ${direction}`
        : `g.id ${direction}`;
      const rows = (await prepared(
        `SELECT g.* FROM scim_groups g WHERE g.organisation_id = ?${where} ORDER BY ${order} LIMIT ? OFFSET ?`,
      ).all(...params, page.limit, page.offset)) as GroupRow[];
      return { total, groups: rows.map(toGroup) };
    },
  };
}
