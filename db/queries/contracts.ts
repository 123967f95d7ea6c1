// Queries on annual contracts (one row per organisation, rolled forward term by term).
import type { Sql } from '../sql.js';
import { mapOptional, toOrganisation } from './organisations.js';
import type { Contract, Organisation } from '../../domain/records.js';
import type { ContractQueries } from '../port.js';

interface ContractRow {
  organisation_id: number;
  currency: string;
  time_zone: string;
  auto_renew: 0 | 1;
  term_number: number;
  term_start: string;
  status: 'active' | 'expired';
  created_at: string;
}

const toContract = (r: ContractRow): Contract => ({
  organisationId: r.organisation_id,
  currency: r.currency,
  timeZone: r.time_zone,
  autoRenew: r.auto_renew === 1,
  termNumber: r.term_number,
  termStart: r.term_start,
  status: r.status,
  createdAt: r.created_at,
});

/** A contract's row beside its organisation's columns (prefixed o_); the contract's are null without one. */
type WithOrganisationRow = { [K in keyof ContractRow]: ContractRow[K] | null } & {
  o_id: number;
  o_slug: string;
  o_name: string;
  o_provisioning_mode: Organisation['provisioningMode'];
  o_seat_exhaustion: Organisation['seatExhaustion'];
  o_require_sso: number;
  o_created_at: string;
};

export function createContractQueries(db: Sql): ContractQueries {
  const insert = db.prepare<[number, string, string, number, string, string]>(
    `INSERT INTO contracts (organisation_id, currency, time_zone, auto_renew, term_number, term_start, status, created_at)
     VALUES (?, ?, ?, ?, 1, ?, 'active', ?)`,
  );
  const byOrg = db.prepare<[number], ContractRow>('SELECT * FROM contracts WHERE organisation_id = ?');
  // Every seat claim needs both: one statement rather than two.
  const withOrganisation = db.prepare<[number], WithOrganisationRow>(
    `SELECT c.*, o.id AS o_id, o.slug AS o_slug, o.name AS o_name, o.provisioning_mode AS o_provisioning_mode,
       o.seat_exhaustion AS o_seat_exhaustion, o.require_sso AS o_require_sso, o.created_at AS o_created_at
     FROM organisations o LEFT JOIN contracts c ON c.organisation_id = o.id WHERE o.id = ?`,
  );
  const active = db.prepare<[], ContractRow>(
    "SELECT * FROM contracts WHERE status = 'active' ORDER BY organisation_id",
  );
  // Conditional on the term number read by the caller: a second renewer changes nothing.
  const roll = db.prepare<[string, number, number]>(
    `UPDATE contracts SET term_number = term_number + 1, term_start = ?
     WHERE organisation_id = ? AND term_number = ? AND status = 'active'`,
  );
  const expire = db.prepare<[number, number]>(
    `UPDATE contracts SET status = 'expired' WHERE organisation_id = ? AND term_number = ? AND status = 'active'`,
  );

  return {
    async insert(c: Omit<Contract, 'termNumber' | 'status'>): Promise<void> {
      await insert.run(
        c.organisationId,
        c.currency,
        c.timeZone,
        c.autoRenew ? 1 : 0,
        c.termStart,
        c.createdAt,
      );
    },
    byOrganisation: async (organisationId: number) =>
      mapOptional(await byOrg.get(organisationId), toContract),
    withOrganisation: (organisationId: number) =>
      withOrganisation.get(organisationId).then((r) => {
        if (r === undefined) return undefined;
        const organisation = toOrganisation({
          id: r.o_id,
          slug: r.o_slug,
          name: r.o_name,
          provisioning_mode: r.o_provisioning_mode,
          seat_exhaustion: r.o_seat_exhaustion,
          require_sso: r.o_require_sso,
          created_at: r.o_created_at,
        });
        return {
          organisation,
          contract: r.organisation_id === null ? undefined : toContract(r as ContractRow),
        };
      }),
    active: async () => (await active.all()).map(toContract),
    /** Moves the contract into its next term; false if someone else already did. */
    rollToNextTerm: async (organisationId: number, fromTerm: number, nextStart: string): Promise<boolean> =>
      (await roll.run(nextStart, organisationId, fromTerm)).changes === 1,
    /** Marks the contract expired; false if it was not active in that term. */
    expire: async (organisationId: number, term: number): Promise<boolean> =>
      (await expire.run(organisationId, term)).changes === 1,
  };
}
