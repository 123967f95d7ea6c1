// The one table that turns domain errors into SCIM errors (RFC 7644 §3.12), and the SCIM error body.
import {
  AuthError,
  ConflictError,
  ContractExpiredError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  SeatLimitError,
  ValidationError,
} from '../domain/errors.js';
import { ERROR_SCHEMA } from './schemas.js';

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

/**
 * Domain error → SCIM status and scimType. The seat limit is 403 without a scimType: RFC 7644 has
 * no quota type, and Okta shows `detail` to the administrator verbatim, so the detail carries the
 * organisation's state and the fix.
 */
export function toScimError(error: unknown): ScimError | undefined {
  if (error instanceof ScimError) return error;
  if (!(error instanceof DomainError)) return undefined;
  if (error instanceof ValidationError)
    return new ScimError(400, VALIDATION_TYPES[error.code] ?? 'invalidValue', error.message);
  if (error instanceof AuthError) return new ScimError(401, undefined, error.message);
  if (
    error instanceof SeatLimitError ||
    error instanceof ContractExpiredError ||
    error instanceof ForbiddenError
  ) {
    return new ScimError(403, undefined, error.message);
  }
  if (error instanceof NotFoundError) return new ScimError(404, undefined, error.message);
  if (error instanceof PreconditionFailedError) return new ScimError(412, undefined, error.message);
  if (error instanceof ConflictError)
    return new ScimError(409, error.code === 'uniqueness' ? 'uniqueness' : undefined, error.message);
  return new ScimError(400, undefined, error.message);
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
