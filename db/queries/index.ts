// The Queries aggregate: every table's query module, built once over one database handle.
import type { Db } from '../connection.js';
import { createAuditQueries } from './audit.js';
import { createContractQueries } from './contracts.js';
import { createInvitationQueries } from './invitations.js';
import { createInvoiceQueries } from './invoices.js';
import { createMemberQueries } from './members.js';
import { createOrganisationQueries } from './organisations.js';
import { createQuoteQueries } from './quotes.js';
import { createSeatPoolQueries } from './seat-pools.js';
import { createTierQueries } from './tiers.js';

export function createQueries(db: Db) {
  return {
    organisations: createOrganisationQueries(db),
    contracts: createContractQueries(db),
    tiers: createTierQueries(db),
    seatPools: createSeatPoolQueries(db),
    members: createMemberQueries(db),
    invitations: createInvitationQueries(db),
    quotes: createQuoteQueries(db),
    invoices: createInvoiceQueries(db),
    audit: createAuditQueries(db),
  };
}

export type Queries = ReturnType<typeof createQueries>;
