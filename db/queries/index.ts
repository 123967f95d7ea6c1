// The Queries aggregate: every table's query module, built once over one database handle.
import type { Sql } from '../sql.js';
import type { Queries } from '../port.js';
import type { SecretBox } from '../secret-box.js';
import { createApiTokenQueries } from './api-tokens.js';
import { createAuditQueries } from './audit.js';
import { createBillingContactQueries } from './billing-contacts.js';
import { createContractQueries } from './contracts.js';
import { createDirectoryUserQueries } from './directory-users.js';
import { createGroupMappingQueries } from './group-mappings.js';
import { createGroupQueries } from './groups.js';
import { createInvitationQueries } from './invitations.js';
import { createInvoiceQueries } from './invoices.js';
import { createLanguageQueries } from './languages.js';
import { createMemberImportQueries } from './member-imports.js';
import { createMemberQueries } from './members.js';
import { createNoticeQueries } from './notices.js';
import { createOrganisationQueries } from './organisations.js';
import { createOutboxQueries } from './outbox.js';
import { createOwnershipTransferQueries } from './ownership-transfers.js';
import { createQuoteQueries } from './quotes.js';
import { createSamlSpKeyQueries } from './saml-sp-keys.js';
import { createScimTokenQueries } from './scim-tokens.js';
import { createSeatPoolQueries } from './seat-pools.js';
import { createSeatRequestQueries } from './seat-requests.js';
import { createSignInLinkQueries } from './sign-in-links.js';
import { createSsoStateQueries } from './sso-state.js';
import { createSsoQueries } from './sso.js';
import { createTierQueries } from './tiers.js';
import { createWaitlistQueries } from './waitlist.js';
import { createWebhookQueries } from './webhooks.js';

/**
 * `secrets` seals and opens the secrets stored for later use (db/secret-box.ts); `eventWritten` is
 * told after each webhook event row is inserted (the store's onEventWritten).
 */
export function createQueries(
  db: Sql,
  secrets: SecretBox,
  inWrite: () => boolean,
  eventWritten: () => void,
): Queries {
  const open = db.prepare('SAVEPOINT step');
  const release = db.prepare('RELEASE step');
  const rollbackTo = db.prepare('ROLLBACK TO step');
  return {
    /**
     * Runs `work` in a savepoint of the current write: a throw undoes only what `work` wrote, and
     * the caller may catch it and go on (a refused seat claim still records the refusal). Only
     * inside a write: a savepoint outside a transaction would silently be one of its own.
     */
    async savepoint<T>(work: () => Promise<T>): Promise<T> {
      if (!inWrite() || !db.inTransaction)
        throw new Error('A savepoint was asked for outside a write transaction.');
      // Savepoints of one name nest: RELEASE and ROLLBACK TO act on the innermost open one.
      await open.run();
      try {
        const value = await work();
        await release.run();
        return value;
      } catch (error) {
        // SQLite may have ended the whole transaction (a full disk): then there is nothing to undo to.
        if (db.inTransaction) {
          await rollbackTo.run();
          await release.run();
        }
        throw error;
      }
    },
    organisations: createOrganisationQueries(db),
    contracts: createContractQueries(db),
    tiers: createTierQueries(db),
    seatPools: createSeatPoolQueries(db),
    members: createMemberQueries(db),
    languages: createLanguageQueries(db),
    invitations: createInvitationQueries(db),
    quotes: createQuoteQueries(db),
    invoices: createInvoiceQueries(db),
    billingContacts: createBillingContactQueries(db),
    audit: createAuditQueries(db),
    directoryUsers: createDirectoryUserQueries(db),
    groups: createGroupQueries(db),
    groupMappings: createGroupMappingQueries(db),
    scimTokens: createScimTokenQueries(db),
    waitlist: createWaitlistQueries(db),
    sso: createSsoQueries(db, secrets),
    samlSpKeys: createSamlSpKeyQueries(db, secrets),
    ssoState: createSsoStateQueries(db),
    outbox: createOutboxQueries(db),
    notices: createNoticeQueries(db),
    apiTokens: createApiTokenQueries(db),
    signInLinks: createSignInLinkQueries(db),
    ownershipTransfers: createOwnershipTransferQueries(db),
    webhooks: createWebhookQueries(db, secrets, eventWritten),
    memberImports: createMemberImportQueries(db),
    seatRequests: createSeatRequestQueries(db),
  };
}
