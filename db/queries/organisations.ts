// Queries on organisations and their email domains.
import type { Sql } from '../sql.js';
import type {
  Organisation,
  OrganisationDomain,
  ProvisioningMode,
  SeatExhaustionPolicy,
} from '../../domain/records.js';
import type { OrganisationQueries } from '../port.js';

export interface OrganisationRow {
  id: number;
  slug: string;
  name: string;
  provisioning_mode: ProvisioningMode;
  seat_exhaustion: SeatExhaustionPolicy;
  require_sso: number;
  created_at: string;
}

export const toOrganisation = (r: OrganisationRow): Organisation => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  provisioningMode: r.provisioning_mode,
  seatExhaustion: r.seat_exhaustion,
  requireSso: r.require_sso === 1,
  createdAt: r.created_at,
});

export function createOrganisationQueries(db: Sql): OrganisationQueries {
  const insert = db.prepare<[string, string, string], { id: number }>(
    'INSERT INTO organisations (slug, name, created_at) VALUES (?, ?, ?) RETURNING id',
  );
  const byId = db.prepare<[number], OrganisationRow>('SELECT * FROM organisations WHERE id = ?');
  const bySlug = db.prepare<[string], OrganisationRow>('SELECT * FROM organisations WHERE slug = ?');
  const all = db.prepare<[], OrganisationRow>('SELECT * FROM organisations ORDER BY slug');
  const insertDomain = db.prepare<[number, string, string | null]>(
    'INSERT INTO organisation_domains (organisation_id, domain, verified_at) VALUES (?, ?, ?)',
  );
  const setProvisioningMode = db.prepare<[ProvisioningMode, number]>(
    'UPDATE organisations SET provisioning_mode = ? WHERE id = ?',
  );
  const setSeatExhaustion = db.prepare<[SeatExhaustionPolicy, number]>(
    'UPDATE organisations SET seat_exhaustion = ? WHERE id = ?',
  );
  const setRequireSso = db.prepare<[number, number]>('UPDATE organisations SET require_sso = ? WHERE id = ?');
  const lock =
    db.dialect === 'postgres'
      ? db.prepare<[number]>('SELECT id FROM organisations WHERE id = ? FOR NO KEY UPDATE')
      : undefined;
  const domains = db.prepare<[number], { domain: string; verified_at: string | null }>(
    'SELECT domain, verified_at FROM organisation_domains WHERE organisation_id = ? ORDER BY domain',
  );

  return {
    async insert(slug: string, name: string, createdAt: string): Promise<number> {
      return (await insert.get(slug, name, createdAt))!.id;
    },
    byId: async (id: number) => mapOptional(await byId.get(id), toOrganisation),
    bySlug: async (slug: string) => mapOptional(await bySlug.get(slug), toOrganisation),
    all: async () => (await all.all()).map(toOrganisation),
    async lockForChange(organisationId: number): Promise<void> {
      await lock?.run(organisationId);
    },
    async addDomain(organisationId: number, domain: string, verifiedAt: string | null): Promise<void> {
      await insertDomain.run(organisationId, domain, verifiedAt);
    },
    /** What a directory push does when no seat is free; false if there is no such organisation. */
    async setProvisioningMode(organisationId: number, mode: ProvisioningMode): Promise<boolean> {
      return (await setProvisioningMode.run(mode, organisationId)).changes === 1;
    },
    async setSeatExhaustion(organisationId: number, policy: SeatExhaustionPolicy): Promise<boolean> {
      return (await setSeatExhaustion.run(policy, organisationId)).changes === 1;
    },
    async setRequireSso(organisationId: number, required: boolean): Promise<boolean> {
      return (await setRequireSso.run(required ? 1 : 0, organisationId)).changes === 1;
    },
    domains: async (organisationId: number): Promise<OrganisationDomain[]> =>
      (await domains.all(organisationId)).map((r) => ({ domain: r.domain, verifiedAt: r.verified_at })),
  };
}

export function mapOptional<R, T>(row: R | undefined, map: (row: R) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}

/**
 * Whether `text` can be a public id this server issued: a lower-case UUID (randomUUID), or 32
 * lower-case hex digits (members that existed before SCIM, given ids by migration 0002). Anything
 * else names no row, and is answered without asking the database: PostgreSQL's text cannot even
 * hold all of it (U+0000), and a lookup by an impossible id should cost nothing.
 */
export function isPublicId(text: string): boolean {
  return /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/.test(text);
}
