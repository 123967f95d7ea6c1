// The one table that turns domain errors into SCIM errors (RFC 7644 §3.12), the answers to what
// the body parser and scimmy throw, and the SCIM error body. The router applies it once, in its
// error handler.
import {
  answerFor,
  AuthError,
  ConflictError,
  ContractExpiredError,
  DomainError,
  type DomainErrorClass,
  ForbiddenError,
  GoneError,
  NotFoundError,
  OutboundRefusedError,
  PreconditionFailedError,
  QuoteError,
  SeatLimitError,
  SignInRefusedError,
  TooLargeError,
  ValidationError,
} from '../domain/errors.js';
import { ERROR_SCHEMA, MAX_PAYLOAD } from './schemas.js';

/** RFC 7644 §3.12 Table 9 scimType values. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export interface ScimErrorBody {
  readonly schemas: readonly [typeof ERROR_SCHEMA];
  /** A string, as RFC 7644 §3.12 defines it. */
  readonly status: string;
  readonly scimType?: ScimType;
  readonly detail: string;
}

const VALIDATION_TYPES: Readonly<Record<string, ScimType>> = {
  invalid_filter: 'invalidFilter',
  invalid_path: 'invalidPath',
  invalid_syntax: 'invalidSyntax',
  no_target: 'noTarget',
  too_many: 'tooMany',
};

/** What the request was doing when it failed, where the answer says more than the error. */
export interface ScimErrorContext {
  /** The userName of the User a create, replace or PATCH was writing. */
  readonly provisioning?: string | undefined;
}

interface Answer {
  readonly status: number;
  readonly scimType?: (error: DomainError) => ScimType | undefined;
  readonly detail?: (error: DomainError, context: ScimErrorContext) => string;
}

/**
 * Domain error → SCIM status and scimType; the first row the error is an instance of answers, so
 * subclasses come before their parents. The seat limit is 403 without a scimType: RFC 7644 has no
 * quota type, and Okta shows `detail` to the administrator verbatim, so the detail carries the
 * organisation's state and the fix, and for a User being provisioned that the directory recorded
 * the attempt on the organisation's waiting list. Errors no SCIM request meets (a quote, a mailed
 * link, a sign-in) are a plain 400.
 */
export const SCIM_ANSWERS: readonly (readonly [DomainErrorClass, Answer])[] = [
  [ValidationError, { status: 400, scimType: (e) => VALIDATION_TYPES[e.code] ?? 'invalidValue' }],
  [AuthError, { status: 401 }],
  [
    SeatLimitError,
    {
      status: 403,
      detail: (e, { provisioning }) =>
        provisioning === undefined
          ? e.message
          : `${e.message} The attempt to provision ${provisioning} was recorded in the organisation's waiting list.`,
    },
  ],
  [ContractExpiredError, { status: 403 }],
  [ForbiddenError, { status: 403 }],
  [NotFoundError, { status: 404 }],
  [PreconditionFailedError, { status: 412 }],
  // A unique key the database refused (`already_exists`: two creates of one userName at once, on
  // PostgreSQL) is the same conflict as one the code found first (RFC 7644 §3.3: 409 uniqueness).
  [
    ConflictError,
    {
      status: 409,
      scimType: (e) => (e.code === 'uniqueness' || e.code === 'already_exists' ? 'uniqueness' : undefined),
    },
  ],
  [GoneError, { status: 400 }],
  [TooLargeError, { status: 400 }],
  [QuoteError, { status: 400 }],
  [SignInRefusedError, { status: 400 }],
  [OutboundRefusedError, { status: 400 }],
];

/** A domain error of a kind the table does not name (one defined outside domain/errors.ts). */
const OTHER: Answer = { status: 400 };

/**
 * The SCIM error for what a SCIM request threw: a ScimError as it is, a domain error by the table,
 * the body parser's and scimmy's refusals by their status; undefined for anything else (a fault,
 * answered 500 without detail).
 */
export function toScimError(error: unknown, context: ScimErrorContext = {}): ScimError | undefined {
  if (error instanceof ScimError) return error;
  if (error instanceof DomainError) {
    const answer = answerFor(SCIM_ANSWERS, error)?.[1] ?? OTHER;
    return new ScimError(
      answer.status,
      answer.scimType?.(error),
      answer.detail?.(error, context) ?? error.message,
    );
  }
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const { status } = error;
  if (status === 413)
    return new ScimError(413, undefined, `The request body is larger than ${MAX_PAYLOAD} bytes.`);
  if (status === 400 && (error as { type?: unknown }).type === 'entity.parse.failed')
    return new ScimError(400, 'invalidSyntax', 'The request body is not valid JSON.');
  // scimmy's own errors (and the body parser's other refusals) carry a status.
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const message = (error as { message?: unknown }).message;
  return new ScimError(status, undefined, typeof message === 'string' ? message : 'Request refused.');
}

/** Details quote the caller's input (a filter, a path); a hostile one is not echoed back whole. */
const MAX_DETAIL = 1000;

export function errorBody(e: ScimError): ScimErrorBody {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(e.status),
    ...(e.scimType ? { scimType: e.scimType } : {}),
    detail: e.detail.length > MAX_DETAIL ? `${e.detail.slice(0, MAX_DETAIL)}…` : e.detail,
  };
}
