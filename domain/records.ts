// The records the store reads and writes: what every layer above db/ knows of a stored row. The
// query modules (db/queries/*.ts) map their rows to these and the storage port (db/port.ts)
// speaks in them, so an engine or an edge never depends on a query module or on a backend. One
// file, in the order of the tables' query modules; the row shapes themselves (snake_case columns)
// stay private to db/.
import type { AttributePath, FilterNode } from './directory-query.js';
import type { Actor, MemberSource, Role, SeatState } from './model.js';

// ── organisations ──

export type ProvisioningMode = 'invite_only' | 'jit' | 'scim';

export type SeatExhaustionPolicy = 'reject' | 'hold';

export interface Organisation {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly provisioningMode: ProvisioningMode;
  readonly seatExhaustion: SeatExhaustionPolicy;
  /** Sign-in for addresses on verified domains only through the identity provider (docs/sso.md). */
  readonly requireSso: boolean;
  readonly createdAt: string;
}

export interface OrganisationDomain {
  readonly domain: string;
  readonly verifiedAt: string | null;
}

// ── contracts ──

export interface Contract {
  readonly organisationId: number;
  readonly currency: string;
  readonly timeZone: string;
  readonly autoRenew: boolean;
  readonly termNumber: number;
  /** ISO date of the current term's first day, in timeZone. */
  readonly termStart: string;
  readonly status: 'active' | 'expired';
  readonly createdAt: string;
}

// ── tiers ──

export interface Tier {
  readonly id: string;
  readonly name: string;
  readonly rank: number;
}

// ── seat-pools ──

export interface PoolTier {
  readonly tierId: string;
  readonly tierName: string;
  readonly rank: number;
  readonly unitPriceMinor: number;
  readonly allocation: number;
  readonly held: number;
}

/** A tier's counter as a claim or release left it, with the organisation's notice thresholds. */
export interface HeldCount {
  readonly held: number;
  readonly allocation: number;
  /** organisations.notice_thresholds (JSON), read by the same statement: no extra round trip. */
  readonly thresholds: string;
}

// ── members ──

export interface Member {
  readonly id: number;
  readonly organisationId: number;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: Role;
  readonly seatState: SeatState;
  readonly tierId: string | null;
  readonly source: MemberSource;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Opaque id used by SCIM and the admin API. */
  readonly publicId: string;
  /** SCIM userName as sent, when the member came (or was linked) through SCIM. */
  readonly userName: string | null;
  readonly externalId: string | null;
  /** The SCIM attributes as stored (JSON), or null. */
  readonly scimResource: Readonly<Record<string, unknown>> | null;
  readonly version: number;
  readonly waitingSince: string | null;
  /** Last sign-in or directory (SCIM) change, a UTC instant; null: never active (migration 0014). */
  readonly lastActiveAt: string | null;
}

/** What the members page filters by; every field narrows, absent fields do not. */
export interface MemberFilter {
  readonly role?: Role;
  readonly tierId?: string;
  /** Without it, removed members are left out. */
  readonly seatState?: SeatState;
  readonly source?: MemberSource;
  /** Text to find in the email or display name, compared through foldKey. */
  readonly text?: string;
  /** Only members not active since this UTC instant (never active counts as inactive). */
  readonly inactiveSince?: string;
}

/** The members page's orders: by email (the default), or by last activity, never-active first. */
export type MemberSort = 'email' | 'lastActive' | '-lastActive';

export interface NewMember {
  readonly organisationId: number;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: Role;
  readonly source: MemberSource;
  readonly at: string;
}

// ── invitations ──

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Invitation {
  readonly id: number;
  readonly organisationId: number;
  readonly memberId: number;
  readonly sentAt: string;
  readonly expiresAt: string;
  readonly status: InvitationStatus;
  readonly endedAt: string | null;
}

/** An invitation with the person it invites, as administrators list them. */
export interface InvitationListing extends Invitation {
  readonly email: string;
  readonly displayName: string | null;
  readonly role: Role;
  /** The tier of the seat held while the invitation is pending; null once it has ended. */
  readonly tierId: string | null;
}

/** Which invitations a listing shows: one status, or the pending ones and those ended since `endedSince`. */
export type InvitationFilter =
  { readonly status: InvitationStatus } | { readonly status?: undefined; readonly endedSince: string };

// ── quotes ──

export interface UpgradeRequest {
  readonly from: string;
  readonly to: string;
  readonly quantity: number;
  /** Members of `from` moved into the new seats of `to`; needed when too few `from` seats are unclaimed. */
  readonly moveMemberIds: readonly number[];
}

export interface QuoteRequest {
  /** Seats to add, per tier. */
  readonly add: Readonly<Record<string, number>>;
  /** Seats converted from a lower tier to a higher one. */
  readonly upgrades: readonly UpgradeRequest[];
}

/** The pool as it was priced: any difference at confirm time makes the quote stale. */
export interface QuoteBasis {
  readonly termNumber: number;
  readonly pool: Readonly<Record<string, { readonly allocation: number; readonly held: number }>>;
}

export interface Quote {
  readonly id: string;
  readonly organisationId: number;
  readonly termNumber: number;
  readonly actorType: Actor['type'];
  readonly actorId: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly request: QuoteRequest;
  readonly basis: QuoteBasis;
  readonly lines: readonly InvoiceLine[];
  readonly totalMinor: number;
  readonly currency: string;
  readonly idempotencyKey: string | null;
}

export interface NewQuote extends Omit<Quote, 'actorType' | 'actorId' | 'totalMinor'> {
  readonly actor: Actor;
}

// ── invoices ──

export type InvoiceKind = 'initial' | 'purchase' | 'renewal';

export type LineAction = 'term' | 'add' | 'upgrade';

export interface InvoiceLine {
  readonly tierId: string;
  readonly action: LineAction;
  readonly description: string;
  readonly quantity: number;
  readonly unitPriceMinor: number;
  readonly monthsNum: number;
  readonly monthsDen: number;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly amountMinor: number;
}

export interface Invoice {
  readonly id: number;
  readonly organisationId: number;
  readonly number: string;
  readonly kind: InvoiceKind;
  readonly termNumber: number;
  readonly issuedAt: string;
  readonly currency: string;
  readonly totalMinor: number;
  readonly quoteId: string | null;
  readonly lines: readonly InvoiceLine[];
}

export interface NewInvoice {
  readonly organisationId: number;
  readonly number: string;
  readonly kind: InvoiceKind;
  readonly termNumber: number;
  readonly issuedAt: string;
  readonly currency: string;
  readonly quoteId: string | null;
  readonly lines: readonly InvoiceLine[];
}

// ── billing-contacts ──

export interface BillingContact {
  readonly name: string;
  readonly email: string;
  /** The postal address, line by line. */
  readonly addressLines: readonly string[];
  /** ISO 3166-1 alpha-2, upper-case. */
  readonly country: string;
  readonly vatId: string | null;
  readonly updatedAt: string;
}

// ── audit ──

export interface AuditEntry {
  readonly organisationId: number;
  readonly at: string;
  readonly actor: Actor;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string | number;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly invoiceId?: number;
}

export interface AuditRecord {
  readonly id: number;
  readonly organisationId: number;
  readonly at: string;
  readonly actorType: Actor['type'];
  readonly actorId: string | null;
  readonly action: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly invoiceId: number | null;
}

/** What the audit log page filters by; every field narrows, absent fields do not. */
export interface AuditFilter {
  readonly actorType?: Actor['type'];
  readonly actorId?: string;
  /** One action exactly (`member.created`). */
  readonly action?: string;
  /** Every action that starts with this text (`member.`). */
  readonly actionPrefix?: string;
  readonly subjectType?: string;
  readonly subjectId?: string;
  /**
   * Entries by or about a person: the actor or the subject is a member (present or removed) whose
   * email or name contains this text, compared through fold_key() as the members list does.
   */
  readonly person?: string;
  /** ISO 8601 instants in UTC (as `at` is stored): from inclusive, to exclusive. */
  readonly from?: string;
  readonly to?: string;
}

/** A seat change as the audit log recorded it: one member's seat, or every tier's allocation. */
export type SeatChange =
  | {
      readonly at: string;
      readonly memberId: string;
      readonly seatState: string;
      readonly tierId: string | null;
    }
  | {
      readonly at: string;
      readonly allocation: Readonly<Record<string, number>>;
      /** A renewal's new term (its first day): the allocation is that term's from its start. */
      readonly termStart: string | null;
    };

// ── directory-users ──

export interface DirectoryFields {
  readonly userName: string;
  readonly externalId: string | null;
  readonly email: string;
  readonly displayName: string | null;
  readonly resource: Readonly<Record<string, unknown>>;
}

/** One page of a directory listing: filter, order and slice, all applied in SQL. */
export interface ListPage {
  readonly filter: FilterNode | undefined;
  readonly sortBy: AttributePath | undefined;
  readonly descending: boolean;
  /** Rows to skip (startIndex - 1). */
  readonly offset: number;
  readonly limit: number;
  /**
   * Stop reading rows once their stored SCIM documents add up to this many characters (at least
   * one row is read): a page of large users ends early instead of loading them all.
   */
  readonly maxBytes?: number;
}

// ── groups ──

export interface Group {
  readonly id: number;
  readonly organisationId: number;
  readonly publicId: string;
  readonly displayName: string;
  readonly externalId: string | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface GroupMemberRef {
  readonly memberId: number;
  readonly publicId: string;
  readonly display: string | null;
}

// ── group-mappings ──

export interface GroupMapping {
  readonly groupName: string;
  readonly role: Exclude<Role, 'primary_owner'> | null;
  readonly tierId: string | null;
}

// ── scim-tokens ──

export interface ScimToken {
  readonly id: number;
  readonly organisationId: number;
  readonly name: string;
  readonly tokenHash: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  /** When it stops working (UTC); null: when revoked. */
  readonly expiresAt: string | null;
}

// ── api-tokens ──

export type TokenRole = Exclude<Role, 'primary_owner'>;

export interface ApiToken {
  readonly id: number;
  readonly organisationId: number;
  readonly name: string;
  readonly role: TokenRole;
  readonly tokenHash: string;
  readonly prefix: string;
  readonly createdByMemberId: number | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  /** When it stops working (UTC); null: when revoked. */
  readonly expiresAt: string | null;
}

export interface NewApiToken {
  readonly organisationId: number;
  readonly name: string;
  readonly role: TokenRole;
  readonly tokenHash: string;
  readonly prefix: string;
  readonly createdByMemberId: number | null;
  readonly at: string;
  readonly expiresAt?: string | null;
}

// ── waitlist ──

export interface WaitlistEntry {
  readonly userName: string;
  readonly source: 'scim' | 'jit';
  readonly firstAttemptAt: string;
  readonly lastAttemptAt: string;
  readonly attempts: number;
}

// ── sso ──

export interface SsoConnection {
  readonly id: number;
  readonly organisationId: number;
  readonly publicId: string;
  readonly protocol: 'saml' | 'oidc';
  readonly name: string;
  readonly enabled: boolean;
  /** Protocol settings (no secret). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An identity provider's name for a member, as the members page shows it. */
export interface MemberIdentity {
  readonly connectionId: number;
  readonly connectionName: string;
  readonly protocol: 'saml' | 'oidc';
  readonly subject: string;
  readonly createdAt: string;
  readonly lastSignInAt: string | null;
}

// ── saml-sp-keys ──

export type SpKeyStatus = 'current' | 'next' | 'previous';

/** A key pair as it may be shown: everything but the private key. */
export interface SpKey {
  readonly id: number;
  readonly connectionId: number;
  readonly status: SpKeyStatus;
  /** PEM. */
  readonly certificate: string;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  readonly fingerprint: string;
  readonly notAfter: string;
  readonly createdAt: string;
  readonly promotedAt: string | null;
  readonly retireAt: string | null;
}

// ── sso-state ──

export interface Session {
  readonly organisationId: number;
  readonly memberId: number;
  readonly createdAt: string;
  readonly expiresAt: string;
}

// ── outbox ──

export type OutboxState = 'pending' | 'delivered' | 'failed';

export interface OutboxRow {
  readonly id: number;
  readonly organisationId: number | null;
  readonly kind: string;
  readonly recipient: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string | null;
  /** RFC 5322 Message-ID, with its angle brackets. */
  readonly messageId: string;
  readonly createdAt: string;
  readonly nextAttemptAt: string;
  readonly attempts: number;
  readonly leaseUntil: string | null;
  readonly deliveredAt: string | null;
  readonly failedAt: string | null;
  readonly lastError: string | null;
  readonly state: OutboxState;
}

export interface NewOutboxRow {
  readonly organisationId: number | null;
  readonly kind: string;
  readonly recipient: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string | null;
  readonly messageId: string;
  readonly at: string;
}

// ── notices ──

export interface NoticeRecipient {
  readonly memberId: number;
  readonly email: string;
  readonly displayName: string | null;
}

// ── sign-in-links ──

export interface SignInLink {
  readonly tokenHash: string;
  readonly organisationId: number;
  readonly memberId: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
}

// ── ownership-transfers ──

export type TransferStatus = 'pending' | 'confirmed' | 'cancelled' | 'expired';

export interface OwnershipTransfer {
  readonly id: number;
  readonly organisationId: number;
  readonly fromMemberId: number;
  readonly toMemberId: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly status: TransferStatus;
  readonly endedAt: string | null;
}

export interface NewOwnershipTransfer {
  readonly organisationId: number;
  readonly fromMemberId: number;
  readonly toMemberId: number;
  readonly tokenHash: string;
  readonly at: string;
  readonly expiresAt: string;
}

// ── webhooks ──

export interface WebhookEndpoint {
  readonly id: number;
  readonly organisationId: number;
  readonly url: string;
  readonly description: string;
  /** Event types, or ['*'] for all. */
  readonly events: readonly string[];
  readonly secret: string;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * Until when (exclusive) deliveries are also signed with the secret the last rotation replaced;
   * null, or a past instant, when they are not.
   */
  readonly previousSecretUntil: string | null;
}

export interface NewWebhookEndpoint {
  readonly organisationId: number;
  readonly url: string;
  readonly description: string;
  readonly events: readonly string[];
  readonly secret: string;
  readonly at: string;
}

export interface WebhookEndpointPatch {
  readonly url?: string;
  readonly description?: string;
  readonly events?: readonly string[];
  readonly enabled?: boolean;
  readonly secret?: string;
}

/** An event as written: `body` is exactly what every endpoint receives. */
export interface NewWebhookEvent {
  readonly publicId: string;
  readonly organisationId: number;
  readonly type: string;
  readonly memberId: number | null;
  readonly body: string;
  readonly at: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** A delivery with what the worker needs to send it. */
export interface WebhookDelivery {
  readonly id: number;
  readonly endpointId: number;
  readonly eventId: number;
  readonly eventPublicId: string;
  readonly eventType: string;
  readonly memberId: number | null;
  readonly createdAt: string;
  readonly nextAttemptAt: string;
  readonly attempts: number;
  readonly leaseUntil: string | null;
  readonly deliveredAt: string | null;
  readonly failedAt: string | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly state: DeliveryState;
}

/** A leased delivery: the delivery, its body and where and with which key to send it. */
export interface LeasedDelivery extends WebhookDelivery {
  readonly body: string;
  readonly url: string;
  readonly secret: string;
  /** The secret the last rotation replaced, while its overlap runs at lease time; else null. */
  readonly previousSecret: string | null;
}

export interface WebhookAttempt {
  readonly id: number;
  readonly deliveryId: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status: number | null;
  readonly error: string | null;
}

// ── member-imports ──

export interface MemberImportRecord {
  readonly id: number;
  readonly publicId: string;
  readonly organisationId: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The parsed rows (JSON as stored). */
  readonly rows: unknown;
  readonly status: 'reviewed' | 'applied';
  readonly appliedAt: string | null;
  readonly result: unknown;
}

// ── seat-requests ──

export type SeatRequestStatus = 'open' | 'granted' | 'declined';

export type SeatRequestOrigin = 'member' | 'sign_in';

export interface SeatRequest {
  readonly id: number;
  readonly organisationId: number;
  readonly memberId: number | null;
  readonly email: string;
  readonly displayName: string | null;
  readonly tierId: string;
  readonly note: string | null;
  readonly origin: SeatRequestOrigin;
  readonly status: SeatRequestStatus;
  readonly createdAt: string;
  readonly decidedAt: string | null;
  readonly reason: string | null;
}

export interface NewSeatRequest {
  readonly organisationId: number;
  readonly memberId: number | null;
  readonly email: string;
  readonly displayName: string | null;
  readonly tierId: string;
  readonly note: string | null;
  readonly origin: SeatRequestOrigin;
  readonly at: string;
}

/** The single-use right, given by a refused sign-in, to ask for a seat as the identity it asserted. */
export interface SeatRequestTicket {
  readonly id: number;
  readonly tokenHash: string;
  readonly organisationId: number;
  readonly connectionId: number;
  readonly email: string;
  readonly displayName: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
}

// ── stored secrets ──

/** Where a stored value stands: sealed under the current key, under an older one, or not at all. */
export type SealState = 'current' | 'older' | 'plain' | 'unknown_key';
