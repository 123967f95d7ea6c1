// The storage port: what code above db/ may ask of storage, as hand-written interfaces. The engine
// (seats/, billing/, provisioning/), the workers and the edges import only this module and the
// records in domain/records.ts; the SQLite implementation (db/sqlite/store.ts, db/queries/*.ts) is built
// by the composition roots and checked against these interfaces by the compiler, so a change to
// what storage offers is a change here first. Every query returns a Promise, whichever backend
// answers it, and runs in the transaction of the `q` it was called on.
import type { Language } from '../i18n/index.js';
import type {
  ApiToken,
  AuditEntry,
  AuditFilter,
  AuditRecord,
  BillingContact,
  Contract,
  DirectoryFields,
  Group,
  GroupMapping,
  GroupMemberRef,
  HeldCount,
  Invitation,
  InvitationFilter,
  InvitationListing,
  InvitationStatus,
  Invoice,
  LeasedDelivery,
  ListPage,
  Member,
  MemberFilter,
  MemberIdentity,
  MemberImportRecord,
  MemberSort,
  NewApiToken,
  NewInvoice,
  NewMember,
  NewOutboxRow,
  NewOwnershipTransfer,
  NewQuote,
  NewSeatRequest,
  NewWebhookEndpoint,
  NewWebhookEvent,
  NoticeRecipient,
  Organisation,
  OrganisationDomain,
  OutboxRow,
  OwnershipTransfer,
  PoolTier,
  ProvisioningMode,
  Quote,
  ScimToken,
  SealState,
  SeatChange,
  SeatExhaustionPolicy,
  SeatRequest,
  SeatRequestOrigin,
  SeatRequestStatus,
  SeatRequestTicket,
  Session,
  SignInLink,
  SpKey,
  SpKeyStatus,
  SsoConnection,
  Tier,
  TransferStatus,
  WaitlistEntry,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointPatch,
} from '../domain/records.js';
import type { Role, SeatState } from '../domain/model.js';

/**
 * The unit of work: the one way code above db/ reads and writes (db/sqlite/store.ts implements it over
 * SQLite). Every method is asynchronous, as it is on a pooled network driver.
 */
export interface Store {
  /**
   * Runs `work` in one write transaction and resolves to its result once it is committed; any throw
   * rolls everything `work` wrote back and rejects. Never inside another unit of work: code that
   * holds a `q` calls step forms with it, and a write asked for from inside one is refused at once
   * (NestedTransactionError). Writes asked for together may share one commit (group commit); each
   * sees the effects of those before it, and a failure undoes only its own work.
   */
  write<T>(work: (q: Queries) => Promise<T>): Promise<T>;
  /** Runs `work` against a consistent snapshot; like write, never inside another unit of work. */
  read<T>(work: (q: Queries) => Promise<T>): Promise<T>;
  /** True when the database answers (false, never a throw, when it does not). */
  ping(): Promise<boolean>;
  /**
   * Registers `wake`, told after each webhook event row is inserted, inside the inserting
   * transaction: as PostgreSQL's NOTIFY would, it only tells a worker to look for due deliveries
   * soon (it must wait for the commit, and find nothing if the transaction rolled back). Events
   * written by another process are found by the worker's poll.
   */
  onEventWritten(wake: () => void): void;
  /** Lets the units of work already asked for finish, then closes the database. */
  close(): Promise<void>;
}

/** Every table's queries, as one transaction sees them. */
export interface Queries {
  /**
   * Runs `work` in a savepoint of the current write: a throw undoes only what `work` wrote, and
   * the caller may catch it and go on (a refused seat claim still records the refusal). Only
   * inside a write: a savepoint outside a transaction would silently be one of its own.
   */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
  readonly organisations: OrganisationQueries;
  readonly contracts: ContractQueries;
  readonly tiers: TierQueries;
  readonly seatPools: SeatPoolQueries;
  readonly members: MemberQueries;
  readonly languages: LanguageQueries;
  readonly invitations: InvitationQueries;
  readonly quotes: QuoteQueries;
  readonly invoices: InvoiceQueries;
  readonly billingContacts: BillingContactQueries;
  readonly audit: AuditQueries;
  readonly directoryUsers: DirectoryUserQueries;
  readonly groups: GroupQueries;
  readonly groupMappings: GroupMappingQueries;
  readonly scimTokens: ScimTokenQueries;
  readonly waitlist: WaitlistQueries;
  readonly sso: SsoQueries;
  readonly samlSpKeys: SamlSpKeyQueries;
  readonly ssoState: SsoStateQueries;
  readonly outbox: OutboxQueries;
  readonly notices: NoticeQueries;
  readonly apiTokens: ApiTokenQueries;
  readonly signInLinks: SignInLinkQueries;
  readonly ownershipTransfers: OwnershipTransferQueries;
  readonly webhooks: WebhookQueries;
  readonly memberImports: MemberImportQueries;
  readonly seatRequests: SeatRequestQueries;
}

/**
 * SCIM list queries run off the event loop (db/sqlite/directory-reader.ts: worker threads with their own
 * connection), so a filter scanning a whole directory never holds the server; each list is one read
 * transaction.
 */
export interface DirectoryReader {
  listUsers(organisationId: number, page: ListPage): Promise<{ total: number; members: Member[] }>;
  listGroups(organisationId: number, page: ListPage): Promise<{ total: number; groups: Group[] }>;
  /** Stops the worker; lists still waiting fail. */
  close(): Promise<void>;
}

/**
 * Read-only facts about the database for operators: the schema version (/readyz), and the aggregates
 * that /metrics reports at scrape time. Each read is one statement over an index, outside any unit
 * of work, cheap enough for every scrape; none takes a write lock. db/sqlite/stats.ts and
 * db/postgres/stats.ts implement it.
 */
export interface DatabaseStats {
  /** The number of the last migration applied (0 before the first). */
  schemaVersion(): Promise<number>;
  /** The number of the newest migration this build knows. */
  readonly latestSchemaVersion: number;
  /** One row per organisation and tier, ordered by organisation slug, then tier. */
  seats(): Promise<SeatTotals[]>;
  outbox(): Promise<OutboxTotals>;
  /** The webhook deliveries' outbox, counted the same way. */
  webhooks(): Promise<OutboxTotals>;
}

export interface SeatTotals {
  /** The organisation's slug. */
  readonly organisation: string;
  readonly tier: string;
  readonly allocation: number;
  readonly held: number;
  /** Directory users of the organisation kept awaiting a seat (policy `hold`); per organisation. */
  readonly awaiting: number;
  /** Users refused for want of a seat and not yet seated (the waiting list); per organisation. */
  readonly refused: number;
}

export interface OutboxTotals {
  /** Rows neither delivered nor given up: the outbox's depth. */
  readonly pending: number;
  /** Pending rows whose last attempt failed, waiting for their retry. */
  readonly retrying: number;
  /** When the oldest pending row was enqueued (ISO 8601), or null when none is pending. */
  readonly oldestPendingAt: string | null;
}

/** Organisations and their email domains. */
export interface OrganisationQueries {
  insert(slug: string, name: string, createdAt: string): Promise<number>;
  byId: (id: number) => Promise<Organisation | undefined>;
  bySlug: (slug: string) => Promise<Organisation | undefined>;
  all: () => Promise<Organisation[]>;
  /**
   * Makes the rest of this write the only one changing the organisation's members' standing (an
   * invitation accepted or revoked, primary ownership moved) until it commits: a second write that
   * asks waits here, then reads what the first committed. Call it first, before reading what the
   * change depends on. On SQLite the write already holds the database's write lock; on PostgreSQL
   * it locks the organisation's row (FOR NO KEY UPDATE, so rows that merely refer to the
   * organisation, a member or an audit row, are still written meanwhile).
   */
  lockForChange(organisationId: number): Promise<void>;
  addDomain(organisationId: number, domain: string, verifiedAt: string | null): Promise<void>;
  /** What a directory push does when no seat is free; false if there is no such organisation. */
  setProvisioningMode(organisationId: number, mode: ProvisioningMode): Promise<boolean>;
  setSeatExhaustion(organisationId: number, policy: SeatExhaustionPolicy): Promise<boolean>;
  setRequireSso(organisationId: number, required: boolean): Promise<boolean>;
  domains: (organisationId: number) => Promise<OrganisationDomain[]>;
}

/** Annual contracts: one per organisation, rolled forward term by term. */
export interface ContractQueries {
  insert(c: Omit<Contract, 'termNumber' | 'status'>): Promise<void>;
  byOrganisation: (organisationId: number) => Promise<Contract | undefined>;
  /** The organisation with its contract, in one read; undefined if there is no such organisation. */
  withOrganisation(
    organisationId: number,
  ): Promise<{ organisation: Organisation; contract: Contract | undefined } | undefined>;
  active: () => Promise<Contract[]>;
  /** Moves the contract into its next term; false if someone else already did. */
  rollToNextTerm: (organisationId: number, fromTerm: number, nextStart: string) => Promise<boolean>;
  /** Marks the contract expired; false if it was not active in that term. */
  expire: (organisationId: number, term: number) => Promise<boolean>;
}

/** The seat tiers, highest rank first. */
export interface TierQueries {
  /** Every tier, highest rank first. */
  all: () => Promise<Tier[]>;
}

/** The seat pool: allocation and held seats per organisation and tier; a claim is one conditional update. */
export interface SeatPoolQueries {
  insert(organisationId: number, tierId: string, unitPriceMinor: number, allocation: number): Promise<void>;
  /** The organisation's tiers, highest rank first. */
  list: (organisationId: number) => Promise<PoolTier[]>;
  /** Takes one unclaimed seat of the tier; false when none is left. */
  claim: (organisationId: number, tierId: string) => Promise<boolean>;
  /** claim(), returning the tier's new count; undefined when no seat is left. */
  claimCounted: (organisationId: number, tierId: string) => Promise<HeldCount | undefined>;
  /**
   * Takes one unclaimed seat of the highest-ranked (or lowest-ranked) tier that has one, choosing
   * and taking in one statement, and returns that tier with its new count. Undefined when the
   * statement took none: every tier is full, or (PostgreSQL) the tier it chose filled up meanwhile,
   * so the caller falls back to trying tier by tier.
   */
  claimRanked: (
    organisationId: number,
    order: 'highest' | 'lowest',
  ) => Promise<{ readonly tierId: string; readonly count: HeldCount } | undefined>;
  /**
   * claimRanked, and the member moved from `from` to seated in the tier it took, as one step: on
   * PostgreSQL one statement, since the seat pool's row stays locked from the claim to the commit
   * and every round trip in between holds up the organisation's next claim. Undefined when no seat
   * was taken; `member` undefined when a seat was taken but the member was no longer `from` (the
   * caller must then fail the write, which gives the seat back).
   */
  claimRankedFor: (
    member: Member,
    from: SeatState,
    order: 'highest' | 'lowest',
    at: string,
  ) => Promise<
    { readonly tierId: string; readonly count: HeldCount; readonly member: Member | undefined } | undefined
  >;
  /** release(), returning the tier's new count; undefined if none was held (a broken invariant). */
  releaseCounted: (organisationId: number, tierId: string) => Promise<HeldCount | undefined>;
  /** Returns one held seat of the tier to the pool; false if none was held (a broken invariant). */
  release: (organisationId: number, tierId: string) => Promise<boolean>;
  raiseAllocation(organisationId: number, tierId: string, by: number): Promise<void>;
  /** Removes `by` unclaimed seats from the tier; false when fewer are unclaimed. */
  lowerAllocation: (organisationId: number, tierId: string, by: number) => Promise<boolean>;
  /** Renewal: the new term's allocation is what is in use at the end of the old one. */
  resetAllocationToHeld(organisationId: number): Promise<void>;
}

/** Members, always scoped by organisation: a member id alone never crosses tenants. */
export interface MemberQueries {
  /**
   * One page of the members matching `filter`, ordered by `sort` (folded email by default), then
   * id (a stable order: paging never repeats or skips a row that did not change), and how many
   * match in all. The conditions only add `AND`s with bound parameters. Names are compared
   * through fold_key(), the same fold as email_key, so the match is case-insensitive the same way
   * on every backend.
   */
  search(
    organisationId: number,
    filter: MemberFilter,
    page: {
      readonly limit: number;
      readonly offset: number;
    },
    sort?: MemberSort,
  ): Promise<{
    members: Member[];
    total: number;
  }>;
  /** The new member as stored (RETURNING: its defaults too), without a seat. */
  insert(m: NewMember): Promise<Member>;
  byId: (organisationId: number, id: number) => Promise<Member | undefined>;
  /** Every member row with this address (case-insensitive), removed ones included, oldest first. */
  withEmail: (organisationId: number, email: string) => Promise<Member[]>;
  /**
   * Makes the rest of this write the only one enrolling this address (case-insensitive) in the
   * organisation until it commits; call it before looking the address up. No index keeps one
   * current member per address (directory users may share one), so without it two writes at once
   * could both find none and both make a member. On SQLite the write lock is already held; on
   * PostgreSQL a transaction-scoped advisory lock on the address, so enrolments of different
   * people do not wait for each other.
   */
  lockAddress: (organisationId: number, email: string) => Promise<void>;
  /**
   * The one current (not removed) member with this address, else the most recently removed one.
   * Several current members may share an address (directory users); then this refuses to guess.
   */
  byEmail(organisationId: number, email: string): Promise<Member | undefined>;
  primaryOwner: (organisationId: number) => Promise<Member | undefined>;
  list: (organisationId: number) => Promise<Member[]>;
  /**
   * Moves the member from `from` to (state, tier) and returns the member as moved (RETURNING, so
   * every seat move is one statement); undefined if its state was no longer `from`.
   */
  setSeat: (
    m: Member,
    from: SeatState,
    state: SeatState,
    tierId: string | null,
    at: string,
  ) => Promise<Member | undefined>;
  setRole(m: Member, role: Role, at: string): Promise<void>;
  /** Seats held per tier, counted from member rows (the pool's `held` must always equal this). */
  heldByTier(organisationId: number): Promise<Map<string, number>>;
  /** Seated and invited members per tier, counted in SQL. */
  holdersByTier(organisationId: number): Promise<
    Map<
      string,
      {
        seated: number;
        invited: number;
      }
    >
  >;
}

/** A member's own language and their organisation's default. */
export interface LanguageQueries {
  /**
   * The member's own language (null: they chose none) and their organisation's default;
   * undefined for no such member of that organisation.
   */
  ofMember(
    organisationId: number,
    memberId: number,
  ): Promise<
    | {
        own: Language | null;
        fallback: Language;
      }
    | undefined
  >;
  /** Sets (or, with null, clears) a member's own language; false when there is no such member. */
  setMember(organisationId: number, memberId: number, language: Language | null): Promise<boolean>;
  /** The organisation's default language ('en' until an owner sets another). */
  ofOrganisation(organisationId: number): Promise<Language>;
  setOrganisation(organisationId: number, language: Language): Promise<boolean>;
}

/** Invitations: a pending one holds its member's seat until it ends. */
export interface InvitationQueries {
  byId: (organisationId: number, id: number) => Promise<Invitation | undefined>;
  /** The invitation whose link carries this secret's hash, whatever its status. */
  byTokenHash: (tokenHash: string) => Promise<Invitation | undefined>;
  /** The member's most recent invitation. */
  latestFor: (organisationId: number, memberId: number) => Promise<Invitation | undefined>;
  /** Gives a pending invitation a new secret and a new term; false if it is no longer pending. */
  renew: (id: number, tokenHash: string, sentAt: string, expiresAt: string) => Promise<boolean>;
  /** One page of the organisation's invitations, most recently sent first, and how many match. */
  list(
    organisationId: number,
    filter: InvitationFilter,
    page: {
      readonly limit: number;
      readonly offset: number;
    },
  ): Promise<{
    invitations: InvitationListing[];
    total: number;
  }>;
  insert(
    organisationId: number,
    memberId: number,
    tokenHash: string | null,
    sentAt: string,
    expiresAt: string,
  ): Promise<number>;
  pendingFor: (organisationId: number, memberId: number) => Promise<Invitation | undefined>;
  /** Ends a pending invitation; false if it had already ended. */
  end: (id: number, status: Exclude<InvitationStatus, 'pending'>, at: string) => Promise<boolean>;
  dueForExpiry: (now: string) => Promise<Invitation[]>;
}

/** Quotes: priced proposals kept until they expire, so a confirm buys exactly what was shown. */
export interface QuoteQueries {
  insert(q: NewQuote): Promise<Quote>;
  byId: (organisationId: number, id: string) => Promise<Quote | undefined>;
  /**
   * byId, holding the quote's row until the transaction ends, so that two confirms of one quote
   * take turns: the second then finds the first one's invoice (PostgreSQL: FOR UPDATE; SQLite's
   * write transactions take turns already).
   */
  byIdForConfirm: (organisationId: number, id: string) => Promise<Quote | undefined>;
  byIdempotencyKey: (organisationId: number, key: string) => Promise<Quote | undefined>;
}

/** Invoices and their lines, written once and never changed. */
export interface InvoiceQueries {
  /** Writes the invoice and its lines; the total is the sum of the lines, by construction. */
  insert(inv: NewInvoice): Promise<Invoice>;
  byId: (organisationId: number, id: number) => Promise<Invoice | undefined>;
  byNumber: (organisationId: number, number: string) => Promise<Invoice | undefined>;
  byQuote: (quoteId: string) => Promise<Invoice | undefined>;
  list: (organisationId: number) => Promise<Invoice[]>;
  count: (organisationId: number) => Promise<number>;
}

/** Whom an organisation's invoices are addressed to (one each). */
export interface BillingContactQueries {
  /** The organisation's billing contact, or null while none was saved. */
  get(organisationId: number): Promise<BillingContact | null>;
  /** Saves (creates or replaces) the organisation's billing contact. */
  put(organisationId: number, contact: BillingContact): Promise<void>;
}

/** The append-only audit log, written inside the transaction of the change it records. */
export interface AuditQueries {
  /**
   * Writes the row, inside the caller's transaction. Only audit/record.ts calls this: it writes
   * the entry's webhook events with it, so no change is recorded without them.
   */
  insert(e: AuditEntry): Promise<void>;
  /**
   * The organisation's seat changes in the order they were made, one at a time (a long log is
   * never held in memory): a member's seat state and tier after the change, or every tier's
   * allocation after it.
   */
  seatChanges(organisationId: number): AsyncIterable<SeatChange>;
  /** Entries after `afterId`, oldest first. */
  list(organisationId: number, afterId?: number, limit?: number): Promise<AuditRecord[]>;
  /**
   * One page of the entries matching `filter`, newest first, older than `beforeId` (keyset
   * paging: a page never shifts when entries are added meanwhile, as new entries have higher
   * ids). The conditions only ever add `AND`s with bound parameters; an exact action uses
   * audit_log_by_action, a subject audit_log_by_subject, anything else audit_log_by_org.
   */
  search(
    organisationId: number,
    filter: AuditFilter,
    page: {
      readonly beforeId?: number;
      readonly limit: number;
    },
  ): Promise<AuditRecord[]>;
}

/** The directory side of members (their SCIM columns), and the SQL-side listing of the directory. */
export interface DirectoryUserQueries {
  /** Any current member by its SCIM id, whether the directory manages it yet or not. */
  byPublicId: (organisationId: number, publicId: string) => Promise<Member | undefined>;
  /** Any member row with this userName (case-insensitive), deleted ones included. */
  byUserName: (organisationId: number, userName: string) => Promise<Member | undefined>;
  /** A new member (role user, source scim, no seat) with these directory fields, as stored. */
  insert(organisationId: number, f: DirectoryFields, at: string): Promise<Member>;
  setFields(member: Member, f: DirectoryFields, at: string): Promise<void>;
  /** Ids of every member the directory manages (pushed or linked), oldest first. */
  ids: (organisationId: number) => Promise<number[]>;
  /** Members waiting for a seat, first come first served. */
  waiting: (organisationId: number) => Promise<Member[]>;
  /** One page of the directory and the total matching count, both computed in SQL. */
  list(
    organisationId: number,
    page: ListPage,
  ): Promise<{
    total: number;
    members: Member[];
  }>;
}

/** Directory groups and their memberships, one row per (group, member). */
export interface GroupQueries {
  insert(organisationId: number, displayName: string, externalId: string | null, at: string): Promise<Group>;
  byPublicId: (organisationId: number, publicId: string) => Promise<Group | undefined>;
  byId: (organisationId: number, id: number) => Promise<Group | undefined>;
  byName: (organisationId: number, displayName: string) => Promise<Group | undefined>;
  update(group: Group, displayName: string, externalId: string | null, at: string): Promise<void>;
  /** Bumps the version after a membership change. */
  touch(group: Group, at: string): Promise<void>;
  remove(group: Group): Promise<void>;
  /** True when the member was not in the group before. */
  addMember: (group: Group, memberId: number) => Promise<boolean>;
  /** True when the member was in the group. */
  removeMember: (group: Group, memberId: number) => Promise<boolean>;
  removeAllMembers(group: Group): Promise<void>;
  removeFromAllGroups(memberId: number): Promise<void>;
  members: (group: Group) => Promise<GroupMemberRef[]>;
  memberIds: (group: Group) => Promise<number[]>;
  groupsOf: (memberId: number) => Promise<Group[]>;
  list(
    organisationId: number,
    page: ListPage,
  ): Promise<{
    total: number;
    groups: Group[];
  }>;
}

/** Advanced group mappings: group display name → role and/or tier. */
export interface GroupMappingQueries {
  list: (organisationId: number) => Promise<GroupMapping[]>;
  set(organisationId: number, m: GroupMapping): Promise<void>;
  remove(organisationId: number, groupName: string): Promise<void>;
  enabled: (organisationId: number) => Promise<boolean>;
  setEnabled(organisationId: number, on: boolean): Promise<void>;
}

/** SCIM bearer tokens, stored and looked up only by the hash of their secret. */
export interface ScimTokenQueries {
  insert: (
    organisationId: number,
    name: string,
    tokenHash: string,
    prefix: string,
    at: string,
    expiresAt?: string | null,
  ) => Promise<number>;
  activeByHash: (tokenHash: string) => Promise<ScimToken | undefined>;
  byId: (organisationId: number, id: number) => Promise<ScimToken | undefined>;
  list: (organisationId: number) => Promise<ScimToken[]>;
  revoke: (organisationId: number, id: number, at: string) => Promise<boolean>;
  markUsed(id: number, at: string): Promise<void>;
}

/** The waiting list of directory users refused for want of a seat. */
export interface WaitlistQueries {
  record(organisationId: number, userName: string, source: 'scim' | 'jit', at: string): Promise<void>;
  resolve(organisationId: number, userName: string, at: string): Promise<void>;
  open: (organisationId: number) => Promise<WaitlistEntry[]>;
}

/** SSO connections (their secret sealed), the identities they link, and owner notices. */
export interface SsoQueries {
  /** Writes a connection's name, enabled flag and settings; the secret is set apart (setSecret). */
  updateConnection(
    id: number,
    c: {
      name: string;
      enabled: boolean;
      config: Readonly<Record<string, unknown>>;
    },
    at: string,
  ): Promise<SsoConnection>;
  /** Replaces the OIDC client secret (stored sealed). */
  setSecret(id: number, secret: string): Promise<void>;
  /**
   * Seals again under the current key every stored secret whose state `which` picks (plain text
   * from before sealing, or sealed under an older key); those under a key not configured are left
   * and their key ids returned.
   */
  resealSecrets(which: (state: SealState) => boolean): Promise<{
    resealed: number;
    unknownKeys: string[];
  }>;
  /** Ids of the organisation's connections that hold a secret (never the secret itself). */
  withSecret: (organisationId: number) => Promise<Set<number>>;
  /** Linked identities per connection of the organisation. */
  identityCounts: (organisationId: number) => Promise<Map<number, number>>;
  /**
   * Deletes the connection with its linked identities, sign-ins in flight and replay caches;
   * returns how many identities were unlinked.
   */
  deleteConnection(id: number): Promise<number>;
  insertConnection(c: {
    organisationId: number;
    protocol: 'saml' | 'oidc';
    name: string;
    config: Readonly<Record<string, unknown>>;
    secret: string | null;
    at: string;
  }): Promise<SsoConnection>;
  connection: (id: number) => Promise<SsoConnection | undefined>;
  connectionByPublicId: (publicId: string) => Promise<SsoConnection | undefined>;
  connections: (organisationId: number) => Promise<SsoConnection[]>;
  /** The OIDC client secret, for talking to the provider only. */
  secret(connectionId: number): Promise<string | null>;
  /** The identities linked to a member, with the connection each came through. */
  identitiesOf: (organisationId: number, memberId: number) => Promise<MemberIdentity[]>;
  /** The member a (connection, subject) is linked to. */
  linkedMember: (connectionId: number, subject: string) => Promise<number | undefined>;
  link(connectionId: number, subject: string, memberId: number, at: string): Promise<void>;
  recordSignIn(connectionId: number, subject: string, at: string): Promise<void>;
  /** True when a notice of this kind may go out now (none since `notBefore`), recording it. */
  claimNotice: (organisationId: number, kind: string, at: string, notBefore: string) => Promise<boolean>;
}

/** The SAML service provider's key pairs per connection; the private key sealed, never listed. */
export interface SamlSpKeyQueries {
  /** The connection's keys, current first; no private key. */
  keys: (connectionId: number) => Promise<SpKey[]>;
  /** Adds a key pair with `status` (the caller has made room for it); the private key is sealed. */
  insert(k: {
    connectionId: number;
    status: SpKeyStatus;
    certificate: string;
    fingerprint: string;
    notAfter: string;
    privateKeyPem: string;
    at: string;
  }): Promise<SpKey>;
  /** The private key (PKCS#8 PEM), to sign or decrypt with; never shown. */
  privateKey(id: number): Promise<string | null>;
  /**
   * next → current, current → previous until `retireAt` (any older previous key goes). False
   * when there is no next key.
   */
  promote(connectionId: number, at: string, retireAt: string): Promise<boolean>;
  /** Removes the connection's key of that status (a retired previous key). */
  remove: (connectionId: number, status: SpKeyStatus) => Promise<boolean>;
  /** As db/queries/sso.ts resealSecrets, for the private keys. */
  resealSecrets(which: (state: SealState) => boolean): Promise<{
    resealed: number;
    unknownKeys: string[];
  }>;
}

/** The short-lived state of sign-ins (request ids, assertion ids, login state) and sessions. */
export interface SsoStateQueries {
  saveSamlRequest(connectionId: number, requestId: string, at: string): Promise<void>;
  /** One-time: true only for a request id of this connection made at or after `notBefore`. */
  takeSamlRequest: (connectionId: number, requestId: string, notBefore: string) => Promise<boolean>;
  /** True the first time an assertion id is seen for the connection; kept until it expires. */
  consumeAssertion: (connectionId: number, assertionId: string, expiresAt: string) => Promise<boolean>;
  putLoginState(
    state: string,
    connectionId: number,
    data: Readonly<Record<string, unknown>>,
    expiresAt: string,
  ): Promise<void>;
  /** The sign-in in flight under `state`, left in place; undefined if unknown, used or expired. */
  loginState(
    state: string,
    now: string,
  ): Promise<{ connectionId: number; data: Record<string, unknown> } | undefined>;
  /** The sign-in in flight under `state`, once; undefined if unknown, used or expired. */
  takeLoginState(
    state: string,
    now: string,
  ): Promise<
    | {
        connectionId: number;
        data: Record<string, unknown>;
      }
    | undefined
  >;
  createSession(
    idHash: string,
    organisationId: number,
    memberId: number,
    at: string,
    expiresAt: string,
  ): Promise<void>;
  session(idHash: string, now: string): Promise<Session | undefined>;
  /** Ends every session of the member: signed out everywhere. */
  revokeMemberSessions(organisationId: number, memberId: number, at: string): Promise<void>;
  revokeSession(idHash: string, at: string): Promise<void>;
  /** Drops what can no longer be used (the jobs run it). */
  prune(now: string, requestsBefore: string): Promise<number>;
}

/** The mail outbox: enqueue, the worker's due list, lease, and the delivery outcome. */
export interface OutboxQueries {
  /** Writes one mail, due at once; returns its id. */
  insert: (row: NewOutboxRow) => Promise<number>;
  byId: (id: number) => Promise<OutboxRow | undefined>;
  /** Ids of rows a worker may lease at `now`, the longest due first. */
  due: (now: string, limit: number) => Promise<number[]>;
  /**
   * When the next unfinished row becomes leasable (its due time, or the end of a running
   * lease, whichever is later); undefined when nothing is unfinished.
   */
  nextDueAt(): Promise<string | undefined>;
  /** Takes the row for one delivery attempt until `until`; undefined if it is not leasable now. */
  lease(id: number, now: string, until: string): Promise<OutboxRow | undefined>;
  /** Records delivery; false when the lease `lease` was lost meanwhile (another worker took over). */
  markDelivered: (id: number, lease: string, now: string) => Promise<boolean>;
  /** Releases the lease and schedules the next attempt at `next`. */
  markRetry: (id: number, lease: string, next: string, error: string) => Promise<boolean>;
  /** Gives the row up for good; it stays, with its last error, for the operator to see. */
  markFailed: (id: number, lease: string, now: string, error: string) => Promise<boolean>;
  /** The organisation's mail, oldest first, after id `after`. */
  forOrganisation: (organisationId: number, after?: number, limit?: number) => Promise<OutboxRow[]>;
  /** Every mail, oldest first, after id `after`. */
  list: (after?: number, limit?: number) => Promise<OutboxRow[]>;
  counts: () => Promise<{
    pending: number;
    delivered: number;
    failed: number;
  }>;
}

/** The owners' notices: seat-usage thresholds, the crossings already announced, and who is told. */
export interface NoticeQueries {
  /** The organisation's thresholds as stored (a JSON array of percents); undefined if no such organisation. */
  thresholdsJson: (organisationId: number) => Promise<string | undefined>;
  setThresholds: (organisationId: number, json: string) => Promise<boolean>;
  owners: (organisationId: number) => Promise<NoticeRecipient[]>;
  /** Records that usage reached `threshold`; false when it was already recorded (nothing to tell). */
  recordCrossing: (organisationId: number, tierId: string, threshold: number, at: string) => Promise<boolean>;
  /** Forgets the crossings of every threshold above the tier's usage now, so they notify again. */
  rearmBelow(organisationId: number, tierId: string, held: number, allocation: number): Promise<void>;
  /** Forgets every tier's crossing of `threshold` (it is no longer configured). */
  forgetThreshold(organisationId: number, threshold: number): Promise<void>;
  crossings: (organisationId: number) => Promise<
    {
      tierId: string;
      threshold: number;
      crossedAt: string;
    }[]
  >;
}

/** Admin API tokens, stored and looked up only by the hash of their secret. */
export interface ApiTokenQueries {
  insert: (t: NewApiToken) => Promise<number>;
  activeByHash: (tokenHash: string) => Promise<ApiToken | undefined>;
  active: (organisationId: number, id: number) => Promise<ApiToken | undefined>;
  byId: (organisationId: number, id: number) => Promise<ApiToken | undefined>;
  list: (organisationId: number) => Promise<ApiToken[]>;
  revoke: (organisationId: number, id: number, at: string) => Promise<boolean>;
  markUsed(id: number, at: string): Promise<void>;
}

/** Emailed one-time console sign-in links, stored only as the hash of their secret. */
export interface SignInLinkQueries {
  insert(link: Omit<SignInLink, 'usedAt'>): Promise<void>;
  byHash: (tokenHash: string) => Promise<SignInLink | undefined>;
  /** Marks an unused, unexpired link used; false when it was used already or has expired. */
  use: (tokenHash: string, at: string) => Promise<boolean>;
  /** Links issued to the member after `since` (ISO instant), used or not. */
  issuedSince: (memberId: number, since: string) => Promise<number>;
  /** Deletes the member's links that expired before `before`: they can only be refused. */
  prune(memberId: number, before: string): Promise<void>;
}

/** Primary-ownership transfers awaiting the new owner's confirmation; at most one pending. */
export interface OwnershipTransferQueries {
  insert: (t: NewOwnershipTransfer) => Promise<number>;
  /** The organisation's pending transfer, if any (it may be past its expiry: check expiresAt). */
  pending: (organisationId: number) => Promise<OwnershipTransfer | undefined>;
  byHash: (tokenHash: string) => Promise<OwnershipTransfer | undefined>;
  /** Ends a pending transfer; false if it had already ended. */
  end: (id: number, status: Exclude<TransferStatus, 'pending'>, at: string) => Promise<boolean>;
}

/** Webhook endpoints (their secret sealed), events, deliveries and attempts. */
export interface WebhookQueries {
  /** Inserts the endpoint; its secret is sealed for the new row's id (in the caller's transaction). */
  insertEndpoint(e: NewWebhookEndpoint): Promise<number>;
  /** A live (not deleted) endpoint of the organisation. */
  endpoint(organisationId: number, id: number): Promise<WebhookEndpoint | undefined>;
  endpoints: (organisationId: number) => Promise<WebhookEndpoint[]>;
  /** The organisation's enabled endpoints and the event types each wants. */
  subscriptions: (organisationId: number) => Promise<
    {
      id: number;
      events: readonly string[];
    }[]
  >;
  updateEndpoint(current: WebhookEndpoint, patch: WebhookEndpointPatch, at: string): Promise<void>;
  /**
   * A new signing secret; the one it replaces keeps signing too until `until` (the overlap). A
   * rotation during an overlap ends the older secret's: only the two latest ever sign.
   */
  rotateSecret(current: WebhookEndpoint, secret: string, until: string, at: string): Promise<void>;
  /** Deletes the endpoint and gives up what it had not received; false if there was none. */
  deleteEndpoint(organisationId: number, id: number, at: string): Promise<boolean>;
  insertEvent(e: NewWebhookEvent): Promise<number>;
  /** A delivery of the event to the endpoint, due at once; returns its id. */
  insertDelivery: (
    endpointId: number,
    eventId: number,
    memberId: number | null,
    at: string,
  ) => Promise<number>;
  eventBody: (eventId: number) => Promise<string | undefined>;
  delivery(id: number): Promise<WebhookDelivery | undefined>;
  /** The endpoint's deliveries, newest first, older than id `before`. */
  deliveries: (endpointId: number, before: number, limit: number) => Promise<WebhookDelivery[]>;
  attempts: (deliveryId: number) => Promise<WebhookAttempt[]>;
  /** Ids of deliveries a worker may lease at `now`, the longest due first. */
  due: (now: string, limit: number) => Promise<number[]>;
  /** Takes the delivery for one attempt until `until`; undefined if it is not leasable now. */
  lease(id: number, now: string, until: string): Promise<LeasedDelivery | undefined>;
  recordAttempt: (a: Omit<WebhookAttempt, 'id'>) => Promise<void>;
  /** Records a 2xx answer; false when the lease was lost meanwhile. */
  markDelivered: (id: number, lease: string, now: string, status: number) => Promise<boolean>;
  markRetry: (
    id: number,
    lease: string,
    next: string,
    status: number | null,
    error: string,
  ) => Promise<boolean>;
  markFailed: (
    id: number,
    lease: string,
    now: string,
    status: number | null,
    error: string,
  ) => Promise<boolean>;
  counts: () => Promise<{
    pending: number;
    failed: number;
  }>;
  /**
   * Seals again under the current key every stored signing secret whose state `which` picks;
   * those under a key not configured are left and their key ids returned.
   */
  resealSecrets(which: (state: SealState) => boolean): Promise<{
    resealed: number;
    unknownKeys: string[];
  }>;
}

/** Member CSV imports: the reviewed report, and the result of applying it. */
export interface MemberImportQueries {
  insert(
    publicId: string,
    organisationId: number,
    at: string,
    expiresAt: string,
    rows: unknown,
  ): Promise<void>;
  byPublicId: (organisationId: number, publicId: string) => Promise<MemberImportRecord | undefined>;
  markApplied: (id: number, at: string, result: unknown) => Promise<boolean>;
  /** Deletes reports never applied whose time ran out before `before`. */
  pruneExpired: (before: string) => Promise<number>;
}

/** Seat requests and the single-use tickets a refused sign-in gives to ask for one. */
export interface SeatRequestQueries {
  /** Stores a sign-in refusal's ticket (its secret's hash); expired ones are deleted first. */
  insertTicket(t: Omit<SeatRequestTicket, 'id' | 'usedAt'>): Promise<void>;
  ticketByHash: (tokenHash: string) => Promise<SeatRequestTicket | undefined>;
  /** Marks the ticket used; false if it was used or had expired. */
  useTicket: (id: number, at: string) => Promise<boolean>;
  insert(r: NewSeatRequest): Promise<number>;
  openFor: (organisationId: number, email: string, tierId: string) => Promise<SeatRequest | undefined>;
  byId: (organisationId: number, id: number) => Promise<SeatRequest | undefined>;
  /** With a status: oldest first (a queue). Without: open ones first, then the rest newest first. */
  list: (organisationId: number, status?: SeatRequestStatus) => Promise<SeatRequest[]>;
  byMember: (organisationId: number, memberId: number) => Promise<SeatRequest[]>;
  countSince: (organisationId: number, origin: SeatRequestOrigin, since: string) => Promise<number>;
  decide: (
    organisationId: number,
    id: number,
    status: 'granted' | 'declined',
    at: string,
    decidedBy: unknown,
    reason: string | null,
  ) => Promise<boolean>;
}
