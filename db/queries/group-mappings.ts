// Queries on advanced group mappings: group display name → role and/or tier.
import type { Sql } from '../sql.js';
import { foldKey } from '../../domain/fold.js';
import type { GroupMapping } from '../../domain/records.js';
import type { GroupMappingQueries } from '../port.js';

export function createGroupMappingQueries(db: Sql): GroupMappingQueries {
  const list = db.prepare<
    [number],
    { group_name_key: string; role: GroupMapping['role']; tier_id: string | null }
  >(
    'SELECT group_name_key, role, tier_id FROM group_mappings WHERE organisation_id = ? ORDER BY group_name_key',
  );
  const upsert = db.prepare<[number, string, string | null, string | null]>(
    `INSERT INTO group_mappings (organisation_id, group_name_key, role, tier_id) VALUES (?, ?, ?, ?)
     ON CONFLICT (organisation_id, group_name_key) DO UPDATE SET role = excluded.role, tier_id = excluded.tier_id`,
  );
  const remove = db.prepare<[number, string]>(
    'DELETE FROM group_mappings WHERE organisation_id = ? AND group_name_key = ?',
  );
  const setEnabled = db.prepare<[number, number]>(
    'UPDATE organisations SET group_mappings_enabled = ? WHERE id = ?',
  );
  const enabled = db.prepare<[number], { on: number }>(
    'SELECT group_mappings_enabled AS "on" FROM organisations WHERE id = ?',
  );

  return {
    list: async (organisationId: number): Promise<GroupMapping[]> =>
      (await list.all(organisationId)).map((r) => ({
        groupName: r.group_name_key,
        role: r.role,
        tierId: r.tier_id,
      })),
    async set(organisationId: number, m: GroupMapping): Promise<void> {
      await upsert.run(organisationId, foldKey(m.groupName), m.role, m.tierId);
    },
    async remove(organisationId: number, groupName: string): Promise<void> {
      await remove.run(organisationId, foldKey(groupName));
    },
    enabled: async (organisationId: number): Promise<boolean> =>
      (await enabled.get(organisationId))?.on === 1,
    async setEnabled(organisationId: number, on: boolean): Promise<void> {
      await setEnabled.run(on ? 1 : 0, organisationId);
    },
  };
}
