// Looking at what the engine stored, from a test: read-only, through the storage port, in one place.
// Tests act through the engine (its commands, or HTTP) and check the outcome here, so a change of a
// query or of the schema touches this file rather than every test that looks.
import type { Store } from '../../db/port.js';
import type { AuditRecord, Member, PoolTier } from '../../domain/records.js';

/** More audit rows than any test writes: "every row" without a limit the query would not take. */
const EVERY_ROW = 1_000_000;

export interface Inspection {
  /** Every audit row of the organisation, oldest first. */
  audit(organisationId: number): Promise<AuditRecord[]>;
  /** The actions of those rows, oldest first. */
  auditActions(organisationId: number): Promise<string[]>;
  /** The member, or undefined if there is none with that id in the organisation. */
  member(organisationId: number, memberId: number): Promise<Member | undefined>;
  /** Every member of the organisation, removed ones included. */
  members(organisationId: number): Promise<Member[]>;
  /** The organisation's seat pool, highest tier first. */
  pool(organisationId: number): Promise<PoolTier[]>;
}

export function inspect(store: Store): Inspection {
  const audit = (organisationId: number) => store.read((q) => q.audit.list(organisationId, 0, EVERY_ROW));
  return {
    audit,
    auditActions: async (organisationId) => (await audit(organisationId)).map((a) => a.action),
    member: (organisationId, memberId) => store.read((q) => q.members.byId(organisationId, memberId)),
    members: (organisationId) => store.read((q) => q.members.list(organisationId)),
    pool: (organisationId) => store.read((q) => q.seatPools.list(organisationId)),
  };
}
