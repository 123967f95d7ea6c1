// The one typed error hierarchy. Every layer throws these; each protocol edge (SCIM, SSO, the admin
// API, the CLI) maps them to its own response form in exactly one place.

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

/**
 * Base class for every error the service raises on purpose. `code` is stable and machine-readable
 * (it appears in API bodies, SSO error pages and audit rows); `message` is written for the person
 * who has to act on it and is safe to show to clients.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  readonly details: ErrorDetails;

  constructor(message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** A kind of domain error, as each protocol's table of answers names it. */
export type DomainErrorClass = abstract new (...args: never[]) => DomainError;

/**
 * The answer `table` gives `error`: its first row whose class the error is an instance of. Each
 * protocol's table (problem JSON, SCIM, exit codes) lists subclasses before their parents.
 */
export function answerFor<Row extends readonly [DomainErrorClass, ...unknown[]]>(
  table: readonly Row[],
  error: DomainError,
): Row | undefined {
  return table.find(([type]) => error instanceof type);
}

/** The input is malformed or breaks a rule of the request itself. */
export class ValidationError extends DomainError {
  readonly code: string;
  constructor(message: string, details: ErrorDetails = {}, code = 'validation_failed') {
    super(message, details);
    this.code = code;
  }
}

/** The thing named does not exist (or is not visible to this caller, which is the same to them). */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

/** The request conflicts with the current state: a duplicate, or a state that forbids the change. */
export class ConflictError extends DomainError {
  readonly code: string;
  constructor(message: string, details: ErrorDetails = {}, code = 'conflict') {
    super(message, details);
    this.code = code;
  }
}

/**
 * What a single-use link stood for is over for good (used, expired, revoked): asking again will
 * not help, a new link might.
 */
export class GoneError extends DomainError {
  readonly code: string;
  constructor(message: string, details: ErrorDetails = {}, code = 'gone') {
    super(message, details);
    this.code = code;
  }
}

/** What was sent is larger than the rule for it allows (an import's rows or bytes); `details` name the limits. */
export class TooLargeError extends DomainError {
  readonly code: string;
  constructor(message: string, details: ErrorDetails = {}, code = 'too_large') {
    super(message, details);
    this.code = code;
  }
}

/** The caller's precondition (an ETag in If-Match) no longer holds: the resource changed. */
export class PreconditionFailedError extends DomainError {
  readonly code = 'precondition_failed';
}

/** The caller is known but may not do this; `details.requiredRole` names who may. */
export class ForbiddenError extends DomainError {
  readonly code: string;
  constructor(message: string, details: ErrorDetails = {}, code = 'forbidden') {
    super(message, details);
    this.code = code;
  }
}

/** The caller could not be identified. */
export class AuthError extends DomainError {
  readonly code: string;
  constructor(message: string, details: ErrorDetails = {}, code = 'unauthenticated') {
    super(message, details);
    this.code = code;
  }
}

/**
 * No seat is left where one was needed. Thrown inside the claiming transaction, so the
 * transaction rolls back and nothing of the attempt is written.
 */
export class SeatLimitError extends DomainError {
  readonly code = 'seats_exhausted';
  constructor(
    readonly organisation: string,
    readonly tiers: readonly string[],
  ) {
    const which = tiers.length === 1 ? `${tiers[0]} tier` : `tiers ${tiers.join(', ')}`;
    super(
      `Organisation "${organisation}" has no available seat in the ${which}: every seat bought is held. ` +
        'An owner must add seats (Billing settings, Seats) before anyone else can be given one.',
      { organisation, tiers },
    );
  }
}

/**
 * A sign-in is refused for a reason the person can act on (ask an owner for a seat, ask to be
 * invited). `code` is stable: it names the refusal on the error page and in the audit log.
 */
export class SignInRefusedError extends DomainError {
  constructor(
    readonly code:
      | 'connection_disabled'
      | 'not_provisioned'
      | 'email_unverified'
      | 'no_seats'
      | 'member_deactivated'
      | 'seat_unassigned'
      | 'awaiting_seat'
      | 'not_in_mapped_group'
      | 'groups_unknown'
      | 'contract_expired',
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message, details);
  }
}

/** The contract's term has ended without renewal; nothing can be claimed or bought under it. */
export class ContractExpiredError extends DomainError {
  readonly code = 'contract_expired';
  constructor(organisation: string, endedOn: string) {
    super(
      `The contract of organisation "${organisation}" ended on ${endedOn} and was not renewed: ` +
        'no seat can be claimed or bought until the operator starts a new contract.',
      { organisation, endedOn },
    );
  }
}

/** A quote can no longer be confirmed as it stands; the caller must ask for a new one. */
export class QuoteError extends DomainError {
  readonly code: 'quote_expired' | 'quote_stale';
  constructor(code: 'quote_expired' | 'quote_stale', message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.code = code;
  }
}

/** Why an outbound request was refused (net/outbound.ts): the kind of address, or what was wrong. */
export type OutboundRefusal =
  | 'loopback'
  | 'private'
  | 'carrier_grade_nat'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'not_http';

/**
 * A request to an address an organisation configured (a webhook receiver, an OpenID Provider) was
 * refused because the address is this host's own or a private network's, not the internet's.
 * `details` name the reason and the host, never the address a private name resolved to.
 */
export class OutboundRefusedError extends DomainError {
  readonly code = 'outbound_refused';
  constructor(
    readonly reason: OutboundRefusal,
    readonly host: string,
    message: string,
  ) {
    super(message, { reason, host });
  }
}
