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
 * told after each webhook event row is inserted (the store's onEventWritten). `writeUnit` names the
 * write transaction running now, a new object for each (a retried unit's second run is another),
 * and undefined outside one.
 */
export function createQueries(
  db: Sql,
  secrets: SecretBox,
  writeUnit: () => object | undefined,
  eventWritten: () => void,
): Queries {
  // One savepoint name per nesting depth (step_1, step_2 …). A savepoint whose work is done is not
  // released there and then: it ends with the transaction, or is released just before the next
  // savepoint of its depth is opened (so a loop of savepoints does not nest them ever deeper).
  // ROLLBACK TO step_d reaches the one opened at depth d: while it is open, any newer one is deeper.
  // That saves a round trip per savepoint at the end of a write, which matters on PostgreSQL: a
  // SCIM create's savepoints end after its seat claim, while the seat pool's row is locked.
  /** Per write transaction: the depths whose last savepoint is still open, though its work is done. */
  const left = new WeakMap<object, boolean[]>();
  let depth = 0;
  const statements = (verb: string) => {
    const byDepth: ReturnType<Sql['prepare']>[] = [];
    return (d: number) => (byDepth[d] ??= db.prepare(`${verb} step_${d + 1}`));
  };
  // What a query module may remember within one write (db/queries/webhooks.ts), under a key that
  // a rolled-back savepoint replaces: what was read inside it may have been undone.
  const memoKeys = new WeakMap<object, object>();
  const writeMemo = () => {
    const unit = writeUnit();
    if (unit === undefined) return undefined;
    let key = memoKeys.get(unit);
    if (key === undefined) memoKeys.set(unit, (key = {}));
    return key;
  };
  const members = createMemberQueries(db);
  const openAt = statements('SAVEPOINT');
  const releaseAt = statements('RELEASE');
  const rollbackAt = statements('ROLLBACK TO');
  return {
    /**
     * Runs `work` in a savepoint of the current write: a throw undoes only what `work` wrote, and
     * the caller may catch it and go on (a refused seat claim still records the refusal). Only
     * inside a write: a savepoint outside a transaction would silently be one of its own.
     */
    async savepoint<T>(work: () => Promise<T>): Promise<T> {
      const unit = writeUnit();
      if (unit === undefined || !db.inTransaction)
        throw new Error('A savepoint was asked for outside a write transaction.');
      let stillOpen = left.get(unit);
      if (stillOpen === undefined) left.set(unit, (stillOpen = []));
      const d = depth++;
      try {
        if (stillOpen[d]) {
          // Releasing it releases the deeper ones it holds too.
          await releaseAt(d).run();
          stillOpen.length = d;
        }
        await openAt(d).run();
        stillOpen[d] = true;
        try {
          return await work();
        } catch (error) {
          // SQLite may have ended the whole transaction (a full disk): then there is nothing to undo to.
          memoKeys.set(unit, {});
          if (db.inTransaction) {
            await rollbackAt(d).run();
            stillOpen.length = d + 1; // the deeper ones are gone; this one stays open, empty
          }
          throw error;
        }
      } finally {
        depth = d;
      }
    },
    organisations: createOrganisationQueries(db),
    contracts: createContractQueries(db),
    tiers: createTierQueries(db),
    seatPools: createSeatPoolQueries(db, members),
    members,
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
    webhooks: createWebhookQueries(db, secrets, eventWritten, writeMemo),
    memberImports: createMemberImportQueries(db),
    seatRequests: createSeatRequestQueries(db),
  };
}
