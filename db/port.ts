// The storage port: what code above db/ may ask of storage, as hand-written interfaces. The engine
// (seats/, billing/, provisioning/), the workers and the edges import only this module and the
// records in domain/records.ts; the SQLite implementation (db/store.ts, db/queries/*.ts) is built
// by the composition roots and checked against these interfaces by the compiler, so a change to
// what storage offers is a change here first. Every method is synchronous for now: SQLite answers
// in-process, and a transaction is held by the connection, not passed along.
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

/** The unit of work: the one way code above db/ reads and writes (db/store.ts implements it). */
export interface Store {
  /** The queries outside any transaction, for wiring at start-up; use cases go through write or read. */
  readonly queries: Queries;
  /**
   * Runs `work` in one write transaction and returns its result; any throw rolls everything back.
   * Never inside another transaction: code that holds a `q` calls step forms with it, and a write
   * asked for while one is open throws at once (a command called inside another's transaction).
   */
  write<T>(work: (q: Queries) => T): T;
  /**
   * Runs `work` (synchronous) as one write of a group commit: the batched writes queued in the same
   * turn of the event loop run, in the order queued, in one transaction, each in its own savepoint.
   * Each sees the effects of those before it, exactly as if they had run one after another; a throw
   * rolls back only its own savepoint and rejects only its own promise. Every promise settles after
   * the shared commit returned: a resolved write is on disk, and a refusal that rests on an earlier
   * write of the batch is told only once that write is. If the commit fails, every write of the
   * batch rejects with that error and none is stored. Like write, never inside another
   * transaction: asked for while one is open, it throws at once rather than returning a promise.
   */
  writeBatched<T>(work: (q: Queries) => T): Promise<T>;
  /** Runs `work` against a consistent snapshot; like write, never inside another transaction. */
  read<T>(work: (q: Queries) => T): T;
  /** True when the database answers. */
  ping(): boolean;
  /** Runs the batched writes still queued, then closes the database. */
  close(): void;
}

/** Every table's queries, as one transaction sees them. */
export interface Queries {
  /**
   * Runs `work` in a savepoint of the current write: a throw undoes only what `work` wrote, and
   * the caller may catch it and go on (a refused seat claim still records the refusal). Only
   * inside a write: a savepoint outside a transaction would silently be one of its own.
   */
  savepoint<T>(work: () => T): T;
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
 * SCIM list queries run off the event loop (db/directory-reader.ts: worker threads with their own
 * connection), so a filter scanning a whole directory never holds the server; each list is one read
 * transaction.
 */
export interface DirectoryReader {
  listUsers(organisationId: number, page: ListPage): Promise<{ total: number; members: Member[] }>;
  listGroups(organisationId: number, page: ListPage): Promise<{ total: number; groups: Group[] }>;
  /** Stops the worker; lists still waiting fail. */
  close(): Promise<void>;
}

/** Organisations and their email domains. */
export interface OrganisationQueries {
  insert(slug: string, name: string, createdAt: string): number;
  byId: (id: number) => Organisation | undefined;
  bySlug: (slug: string) => Organisation | undefined;
  all: () => Organisation[];
  addDomain(organisationId: number, domain: string, verifiedAt: string | null): void;
  /** What a directory push does when no seat is free; false if there is no such organisation. */
  setProvisioningMode(organisationId: number, mode: ProvisioningMode): boolean;
  setSeatExhaustion(organisationId: number, policy: SeatExhaustionPolicy): boolean;
  setRequireSso(organisationId: number, required: boolean): boolean;
  domains: (organisationId: number) => OrganisationDomain[];
}

/** Annual contracts: one per organisation, rolled forward term by term. */
export interface ContractQueries {
  insert(c: Omit<Contract, 'termNumber' | 'status'>): void;
  byOrganisation: (organisationId: number) => Contract | undefined;
  active: () => Contract[];
  /** Moves the contract into its next term; false if someone else already did. */
  rollToNextTerm: (organisationId: number, fromTerm: number, nextStart: string) => boolean;
  /** Marks the contract expired; false if it was not active in that term. */
  expire: (organisationId: number, term: number) => boolean;
}

/** The seat tiers, highest rank first. */
export interface TierQueries {
  /** Every tier, highest rank first. */
  all: () => Tier[];
}

/** The seat pool: allocation and held seats per organisation and tier; a claim is one conditional update. */
export interface SeatPoolQueries {
  insert(organisationId: number, tierId: string, unitPriceMinor: number, allocation: number): void;
  /** The organisation's tiers, highest rank first. */
  list: (organisationId: number) => PoolTier[];
  /** Takes one unclaimed seat of the tier; false when none is left. */
  claim: (organisationId: number, tierId: string) => boolean;
  /** claim(), returning the tier's new count; undefined when no seat is left. */
  claimCounted: (organisationId: number, tierId: string) => HeldCount | undefined;
  /** release(), returning the tier's new count; undefined if none was held (a broken invariant). */
  releaseCounted: (organisationId: number, tierId: string) => HeldCount | undefined;
  /** Returns one held seat of the tier to the pool; false if none was held (a broken invariant). */
  release: (organisationId: number, tierId: string) => boolean;
  raiseAllocation(organisationId: number, tierId: string, by: number): void;
  /** Removes `by` unclaimed seats from the tier; false when fewer are unclaimed. */
  lowerAllocation: (organisationId: number, tierId: string, by: number) => boolean;
  /** Renewal: the new term's allocation is what is in use at the end of the old one. */
  resetAllocationToHeld(organisationId: number): void;
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
  ): {
    members: Member[];
    total: number;
  };
  insert(m: NewMember): number;
  byId: (organisationId: number, id: number) => Member | undefined;
  /** Every member row with this address (case-insensitive), removed ones included, oldest first. */
  withEmail: (organisationId: number, email: string) => Member[];
  /**
   * The one current (not removed) member with this address, else the most recently removed one.
   * Several current members may share an address (directory users); then this refuses to guess.
   */
  byEmail(organisationId: number, email: string): Member | undefined;
  primaryOwner: (organisationId: number) => Member | undefined;
  list: (organisationId: number) => Member[];
  /** Moves the member from `from` to (state, tier); false if its state was no longer `from`. */
  setSeat: (m: Member, from: SeatState, state: SeatState, tierId: string | null, at: string) => boolean;
  setRole(m: Member, role: Role, at: string): void;
  /** Seats held per tier, counted from member rows (the pool's `held` must always equal this). */
  heldByTier(organisationId: number): Map<string, number>;
  /** Seated and invited members per tier, counted in SQL. */
  holdersByTier(organisationId: number): Map<
    string,
    {
      seated: number;
      invited: number;
    }
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
  ):
    | {
        own: Language | null;
        fallback: Language;
      }
    | undefined;
  /** Sets (or, with null, clears) a member's own language; false when there is no such member. */
  setMember(organisationId: number, memberId: number, language: Language | null): boolean;
  /** The organisation's default language ('en' until an owner sets another). */
  ofOrganisation(organisationId: number): Language;
  setOrganisation(organisationId: number, language: Language): boolean;
}

/** Invitations: a pending one holds its member's seat until it ends. */
export interface InvitationQueries {
  byId: (organisationId: number, id: number) => Invitation | undefined;
  /** The invitation whose link carries this secret's hash, whatever its status. */
  byTokenHash: (tokenHash: string) => Invitation | undefined;
  /** The member's most recent invitation. */
  latestFor: (organisationId: number, memberId: number) => Invitation | undefined;
  /** Gives a pending invitation a new secret and a new term; false if it is no longer pending. */
  renew: (id: number, tokenHash: string, sentAt: string, expiresAt: string) => boolean;
  /** One page of the organisation's invitations, most recently sent first, and how many match. */
  list(
    organisationId: number,
    filter: InvitationFilter,
    page: {
      readonly limit: number;
      readonly offset: number;
    },
  ): {
    invitations: InvitationListing[];
    total: number;
  };
  insert(
    organisationId: number,
    memberId: number,
    tokenHash: string | null,
    sentAt: string,
    expiresAt: string,
  ): number;
  pendingFor: (organisationId: number, memberId: number) => Invitation | undefined;
  /** Ends a pending invitation; false if it had already ended. */
  end: (id: number, status: Exclude<InvitationStatus, 'pending'>, at: string) => boolean;
  dueForExpiry: (now: string) => Invitation[];
}

/** Quotes: priced proposals kept until they expire, so a confirm buys exactly what was shown. */
export interface QuoteQueries {
  insert(q: NewQuote): Quote;
  byId: (organisationId: number, id: string) => Quote | undefined;
  byIdempotencyKey: (organisationId: number, key: string) => Quote | undefined;
}

/** Invoices and their lines, written once and never changed. */
export interface InvoiceQueries {
  /** Writes the invoice and its lines; the total is the sum of the lines, by construction. */
  insert(inv: NewInvoice): Invoice;
  byId: (organisationId: number, id: number) => Invoice | undefined;
  byNumber: (organisationId: number, number: string) => Invoice | undefined;
  byQuote: (quoteId: string) => Invoice | undefined;
  list: (organisationId: number) => Invoice[];
  count: (organisationId: number) => number;
}

/** Whom an organisation's invoices are addressed to (one each). */
export interface BillingContactQueries {
  /** The organisation's billing contact, or null while none was saved. */
  get(organisationId: number): BillingContact | null;
  /** Saves (creates or replaces) the organisation's billing contact. */
  put(organisationId: number, contact: BillingContact): void;
}

/** The append-only audit log, written inside the transaction of the change it records. */
export interface AuditQueries {
  /**
   * Writes the row, inside the caller's transaction. Only audit/record.ts calls this: it writes
   * the entry's webhook events with it, so no change is recorded without them.
   */
  insert(e: AuditEntry): void;
  /**
   * The organisation's seat changes in the order they were made, one at a time (a long log is
   * never held in memory): a member's seat state and tier after the change, or every tier's
   * allocation after it.
   */
  seatChanges(organisationId: number): Generator<SeatChange>;
  /** Entries after `afterId`, oldest first. */
  list(organisationId: number, afterId?: number, limit?: number): AuditRecord[];
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
  ): AuditRecord[];
}

/** The directory side of members (their SCIM columns), and the SQL-side listing of the directory. */
export interface DirectoryUserQueries {
  /** Any current member by its SCIM id, whether the directory manages it yet or not. */
  byPublicId: (organisationId: number, publicId: string) => Member | undefined;
  /** Any member row with this userName (case-insensitive), deleted ones included. */
  byUserName: (organisationId: number, userName: string) => Member | undefined;
  /** A new member (role user, source scim, no seat) with these directory fields, as stored. */
  insert(organisationId: number, f: DirectoryFields, at: string): Member;
  setFields(member: Member, f: DirectoryFields, at: string): void;
  /** Ids of every member the directory manages (pushed or linked), oldest first. */
  ids: (organisationId: number) => number[];
  /** Members waiting for a seat, first come first served. */
  waiting: (organisationId: number) => Member[];
  /** One page of the directory and the total matching count, both computed in SQL. */
  list(
    organisationId: number,
    page: ListPage,
  ): {
    total: number;
    members: Member[];
  };
}

/** Directory groups and their memberships, one row per (group, member). */
export interface GroupQueries {
  insert(organisationId: number, displayName: string, externalId: string | null, at: string): Group;
  byPublicId: (organisationId: number, publicId: string) => Group | undefined;
  byId: (organisationId: number, id: number) => Group | undefined;
  byName: (organisationId: number, displayName: string) => Group | undefined;
  update(group: Group, displayName: string, externalId: string | null, at: string): void;
  /** Bumps the version after a membership change. */
  touch(group: Group, at: string): void;
  remove(group: Group): void;
  /** True when the member was not in the group before. */
  addMember: (group: Group, memberId: number) => boolean;
  /** True when the member was in the group. */
  removeMember: (group: Group, memberId: number) => boolean;
  removeAllMembers(group: Group): void;
  removeFromAllGroups(memberId: number): void;
  members: (group: Group) => GroupMemberRef[];
  memberIds: (group: Group) => number[];
  groupsOf: (memberId: number) => Group[];
  list(
    organisationId: number,
    page: ListPage,
  ): {
    total: number;
    groups: Group[];
  };
}

/** Advanced group mappings: group display name → role and/or tier. */
export interface GroupMappingQueries {
  list: (organisationId: number) => GroupMapping[];
  set(organisationId: number, m: GroupMapping): void;
  remove(organisationId: number, groupName: string): void;
  enabled: (organisationId: number) => boolean;
  setEnabled(organisationId: number, on: boolean): void;
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
  ) => number;
  activeByHash: (tokenHash: string) => ScimToken | undefined;
  byId: (organisationId: number, id: number) => ScimToken | undefined;
  list: (organisationId: number) => ScimToken[];
  revoke: (organisationId: number, id: number, at: string) => boolean;
  markUsed(id: number, at: string): void;
}

/** The waiting list of directory users refused for want of a seat. */
export interface WaitlistQueries {
  record(organisationId: number, userName: string, source: 'scim' | 'jit', at: string): void;
  resolve(organisationId: number, userName: string, at: string): void;
  open: (organisationId: number) => WaitlistEntry[];
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
  ): SsoConnection;
  /** Replaces the OIDC client secret (stored sealed). */
  setSecret(id: number, secret: string): void;
  /**
   * Seals again under the current key every stored secret whose state `which` picks (plain text
   * from before sealing, or sealed under an older key); those under a key not configured are left
   * and their key ids returned.
   */
  resealSecrets(which: (state: SealState) => boolean): {
    resealed: number;
    unknownKeys: string[];
  };
  /** Ids of the organisation's connections that hold a secret (never the secret itself). */
  withSecret: (organisationId: number) => Set<number>;
  /** Linked identities per connection of the organisation. */
  identityCounts: (organisationId: number) => Map<number, number>;
  /**
   * Deletes the connection with its linked identities, sign-ins in flight and replay caches;
   * returns how many identities were unlinked.
   */
  deleteConnection(id: number): number;
  insertConnection(c: {
    organisationId: number;
    protocol: 'saml' | 'oidc';
    name: string;
    config: Readonly<Record<string, unknown>>;
    secret: string | null;
    at: string;
  }): SsoConnection;
  connection: (id: number) => SsoConnection | undefined;
  connectionByPublicId: (publicId: string) => SsoConnection | undefined;
  connections: (organisationId: number) => SsoConnection[];
  /** The OIDC client secret, for talking to the provider only. */
  secret(connectionId: number): string | null;
  /** The identities linked to a member, with the connection each came through. */
  identitiesOf: (organisationId: number, memberId: number) => MemberIdentity[];
  /** The member a (connection, subject) is linked to. */
  linkedMember: (connectionId: number, subject: string) => number | undefined;
  link(connectionId: number, subject: string, memberId: number, at: string): void;
  recordSignIn(connectionId: number, subject: string, at: string): void;
  /** True when a notice of this kind may go out now (none since `notBefore`), recording it. */
  claimNotice: (organisationId: number, kind: string, at: string, notBefore: string) => boolean;
}

/** The SAML service provider's key pairs per connection; the private key sealed, never listed. */
export interface SamlSpKeyQueries {
  /** The connection's keys, current first; no private key. */
  keys: (connectionId: number) => SpKey[];
  /** Adds a key pair with `status` (the caller has made room for it); the private key is sealed. */
  insert(k: {
    connectionId: number;
    status: SpKeyStatus;
    certificate: string;
    fingerprint: string;
    notAfter: string;
    privateKeyPem: string;
    at: string;
  }): SpKey;
  /** The private key (PKCS#8 PEM), to sign or decrypt with; never shown. */
  privateKey(id: number): string | null;
  /**
   * next → current, current → previous until `retireAt` (any older previous key goes). False
   * when there is no next key.
   */
  promote(connectionId: number, at: string, retireAt: string): boolean;
  /** Removes the connection's key of that status (a retired previous key). */
  remove: (connectionId: number, status: SpKeyStatus) => boolean;
  /** As db/queries/sso.ts resealSecrets, for the private keys. */
  resealSecrets(which: (state: SealState) => boolean): {
    resealed: number;
    unknownKeys: string[];
  };
}

/** The short-lived state of sign-ins (request ids, assertion ids, login state) and sessions. */
export interface SsoStateQueries {
  saveSamlRequest(connectionId: number, requestId: string, at: string): void;
  /** One-time: true only for a request id of this connection made at or after `notBefore`. */
  takeSamlRequest: (connectionId: number, requestId: string, notBefore: string) => boolean;
  /** True the first time an assertion id is seen for the connection; kept until it expires. */
  consumeAssertion: (connectionId: number, assertionId: string, expiresAt: string) => boolean;
  putLoginState(
    state: string,
    connectionId: number,
    data: Readonly<Record<string, unknown>>,
    expiresAt: string,
  ): void;
  /** The sign-in in flight under `state`, once; undefined if unknown, used or expired. */
  takeLoginState(
    state: string,
    now: string,
  ):
    | {
        connectionId: number;
        data: Record<string, unknown>;
      }
    | undefined;
  createSession(
    idHash: string,
    organisationId: number,
    memberId: number,
    at: string,
    expiresAt: string,
  ): void;
  session(idHash: string, now: string): Session | undefined;
  /** Ends every session of the member: signed out everywhere. */
  revokeMemberSessions(organisationId: number, memberId: number, at: string): void;
  revokeSession(idHash: string, at: string): void;
  /** Drops what can no longer be used (the jobs run it). */
  prune(now: string, requestsBefore: string): number;
}

/** The mail outbox: enqueue, the worker's due list, lease, and the delivery outcome. */
export interface OutboxQueries {
  /** Writes one mail, due at once; returns its id. */
  insert: (row: NewOutboxRow) => number;
  byId: (id: number) => OutboxRow | undefined;
  /** Ids of rows a worker may lease at `now`, the longest due first. */
  due: (now: string, limit: number) => number[];
  /**
   * When the next unfinished row becomes leasable (its due time, or the end of a running
   * lease, whichever is later); undefined when nothing is unfinished.
   */
  nextDueAt(): string | undefined;
  /** Takes the row for one delivery attempt until `until`; undefined if it is not leasable now. */
  lease(id: number, now: string, until: string): OutboxRow | undefined;
  /** Records delivery; false when the lease `lease` was lost meanwhile (another worker took over). */
  markDelivered: (id: number, lease: string, now: string) => boolean;
  /** Releases the lease and schedules the next attempt at `next`. */
  markRetry: (id: number, lease: string, next: string, error: string) => boolean;
  /** Gives the row up for good; it stays, with its last error, for the operator to see. */
  markFailed: (id: number, lease: string, now: string, error: string) => boolean;
  /** The organisation's mail, oldest first, after id `after`. */
  forOrganisation: (organisationId: number, after?: number, limit?: number) => OutboxRow[];
  /** Every mail, oldest first, after id `after`. */
  list: (after?: number, limit?: number) => OutboxRow[];
  counts: () => {
    pending: number;
    delivered: number;
    failed: number;
  };
}

/** The owners' notices: seat-usage thresholds, the crossings already announced, and who is told. */
export interface NoticeQueries {
  /** The organisation's thresholds as stored (a JSON array of percents); undefined if no such organisation. */
  thresholdsJson: (organisationId: number) => string | undefined;
  setThresholds: (organisationId: number, json: string) => boolean;
  owners: (organisationId: number) => NoticeRecipient[];
  /** Records that usage reached `threshold`; false when it was already recorded (nothing to tell). */
  recordCrossing: (organisationId: number, tierId: string, threshold: number, at: string) => boolean;
  /** Forgets the crossings of every threshold above the tier's usage now, so they notify again. */
  rearmBelow(organisationId: number, tierId: string, held: number, allocation: number): void;
  /** Forgets every tier's crossing of `threshold` (it is no longer configured). */
  forgetThreshold(organisationId: number, threshold: number): void;
  crossings: (organisationId: number) => {
    tierId: string;
    threshold: number;
    crossedAt: string;
  }[];
}

/** Admin API tokens, stored and looked up only by the hash of their secret. */
export interface ApiTokenQueries {
  insert: (t: NewApiToken) => number;
  activeByHash: (tokenHash: string) => ApiToken | undefined;
  active: (organisationId: number, id: number) => ApiToken | undefined;
  byId: (organisationId: number, id: number) => ApiToken | undefined;
  list: (organisationId: number) => ApiToken[];
  revoke: (organisationId: number, id: number, at: string) => boolean;
  markUsed(id: number, at: string): void;
}

/** Emailed one-time console sign-in links, stored only as the hash of their secret. */
export interface SignInLinkQueries {
  insert(link: Omit<SignInLink, 'usedAt'>): void;
  byHash: (tokenHash: string) => SignInLink | undefined;
  /** Marks an unused, unexpired link used; false when it was used already or has expired. */
  use: (tokenHash: string, at: string) => boolean;
  /** Links issued to the member after `since` (ISO instant), used or not. */
  issuedSince: (memberId: number, since: string) => number;
  /** Deletes the member's links that expired before `before`: they can only be refused. */
  prune(memberId: number, before: string): void;
}

/** Primary-ownership transfers awaiting the new owner's confirmation; at most one pending. */
export interface OwnershipTransferQueries {
  insert: (t: NewOwnershipTransfer) => number;
  /** The organisation's pending transfer, if any (it may be past its expiry: check expiresAt). */
  pending: (organisationId: number) => OwnershipTransfer | undefined;
  byHash: (tokenHash: string) => OwnershipTransfer | undefined;
  /** Ends a pending transfer; false if it had already ended. */
  end: (id: number, status: Exclude<TransferStatus, 'pending'>, at: string) => boolean;
}

/** Webhook endpoints (their secret sealed), events, deliveries and attempts. */
export interface WebhookQueries {
  /**
   * Registers `wake`, told after each event row is inserted, inside the inserting transaction: as
   * PostgreSQL's NOTIFY would, it only tells a worker to look for due deliveries soon (it must
   * wait for the commit, and find nothing if the transaction rolled back).
   */
  onEventWritten(wake: () => void): void;
  /** Inserts the endpoint; its secret is sealed for the new row's id (in the caller's transaction). */
  insertEndpoint(e: NewWebhookEndpoint): number;
  /** A live (not deleted) endpoint of the organisation. */
  endpoint(organisationId: number, id: number): WebhookEndpoint | undefined;
  endpoints: (organisationId: number) => WebhookEndpoint[];
  /** The organisation's enabled endpoints and the event types each wants. */
  subscriptions: (organisationId: number) => {
    id: number;
    events: readonly string[];
  }[];
  updateEndpoint(current: WebhookEndpoint, patch: WebhookEndpointPatch, at: string): void;
  /**
   * A new signing secret; the one it replaces keeps signing too until `until` (the overlap). A
   * rotation during an overlap ends the older secret's: only the two latest ever sign.
   */
  rotateSecret(current: WebhookEndpoint, secret: string, until: string, at: string): void;
  /** Deletes the endpoint and gives up what it had not received; false if there was none. */
  deleteEndpoint(organisationId: number, id: number, at: string): boolean;
  insertEvent(e: NewWebhookEvent): number;
  /** A delivery of the event to the endpoint, due at once; returns its id. */
  insertDelivery: (endpointId: number, eventId: number, memberId: number | null, at: string) => number;
  eventBody: (eventId: number) => string | undefined;
  delivery(id: number): WebhookDelivery | undefined;
  /** The endpoint's deliveries, newest first, older than id `before`. */
  deliveries: (endpointId: number, before: number, limit: number) => WebhookDelivery[];
  attempts: (deliveryId: number) => WebhookAttempt[];
  /** Ids of deliveries a worker may lease at `now`, the longest due first. */
  due: (now: string, limit: number) => number[];
  /** Takes the delivery for one attempt until `until`; undefined if it is not leasable now. */
  lease(id: number, now: string, until: string): LeasedDelivery | undefined;
  recordAttempt: (a: Omit<WebhookAttempt, 'id'>) => void;
  /** Records a 2xx answer; false when the lease was lost meanwhile. */
  markDelivered: (id: number, lease: string, now: string, status: number) => boolean;
  markRetry: (id: number, lease: string, next: string, status: number | null, error: string) => boolean;
  markFailed: (id: number, lease: string, now: string, status: number | null, error: string) => boolean;
  counts: () => {
    pending: number;
    failed: number;
  };
  /**
   * Seals again under the current key every stored signing secret whose state `which` picks;
   * those under a key not configured are left and their key ids returned.
   */
  resealSecrets(which: (state: SealState) => boolean): {
    resealed: number;
    unknownKeys: string[];
  };
}

/** Member CSV imports: the reviewed report, and the result of applying it. */
export interface MemberImportQueries {
  insert(publicId: string, organisationId: number, at: string, expiresAt: string, rows: unknown): void;
  byPublicId: (organisationId: number, publicId: string) => MemberImportRecord | undefined;
  markApplied: (id: number, at: string, result: unknown) => boolean;
  /** Deletes reports never applied whose time ran out before `before`. */
  pruneExpired: (before: string) => number;
}

/** Seat requests and the single-use tickets a refused sign-in gives to ask for one. */
export interface SeatRequestQueries {
  /** Stores a sign-in refusal's ticket (its secret's hash); expired ones are deleted first. */
  insertTicket(t: Omit<SeatRequestTicket, 'id' | 'usedAt'>): void;
  ticketByHash: (tokenHash: string) => SeatRequestTicket | undefined;
  /** Marks the ticket used; false if it was used or had expired. */
  useTicket: (id: number, at: string) => boolean;
  insert(r: NewSeatRequest): number;
  openFor: (organisationId: number, email: string, tierId: string) => SeatRequest | undefined;
  byId: (organisationId: number, id: number) => SeatRequest | undefined;
  /** With a status: oldest first (a queue). Without: open ones first, then the rest newest first. */
  list: (organisationId: number, status?: SeatRequestStatus) => SeatRequest[];
  byMember: (organisationId: number, memberId: number) => SeatRequest[];
  countSince: (organisationId: number, origin: SeatRequestOrigin, since: string) => number;
  decide: (
    organisationId: number,
    id: number,
    status: 'granted' | 'declined',
    at: string,
    decidedBy: unknown,
    reason: string | null,
  ) => boolean;
}
