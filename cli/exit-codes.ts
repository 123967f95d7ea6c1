// The operator command's answer to a failure: its exit status, the stable code --json prints, and
// the hint under the message. The one place the CLI maps errors, as http/problem.ts does for the
// admin API and scim/errors.ts for SCIM.
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
import { ConfigError } from '../server/config.js';
import { UsageError } from './args.js';

/** Done. */
export const EXIT_OK = 0;
/** Refused by a rule of the product: the command was understood and changed nothing. */
export const EXIT_REFUSED = 1;
/** The command line or the configuration is wrong: nothing was tried. */
export const EXIT_USAGE = 2;
/** A bug, not something the operator did (sysexits EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/**
 * Exit status per domain error class; the first match wins, so subclasses come before their
 * parents. Every refusal is 1 today: the code printed with it says which rule refused.
 */
export const EXIT_CODES: readonly (readonly [DomainErrorClass, number])[] = [
  [ValidationError, EXIT_REFUSED],
  [AuthError, EXIT_REFUSED],
  [ForbiddenError, EXIT_REFUSED],
  [SeatLimitError, EXIT_REFUSED],
  [ContractExpiredError, EXIT_REFUSED],
  [QuoteError, EXIT_REFUSED],
  [NotFoundError, EXIT_REFUSED],
  [GoneError, EXIT_REFUSED],
  [TooLargeError, EXIT_REFUSED],
  [PreconditionFailedError, EXIT_REFUSED],
  [ConflictError, EXIT_REFUSED],
  [SignInRefusedError, EXIT_REFUSED],
  [OutboundRefusedError, EXIT_REFUSED],
];

export interface Failure {
  readonly exit: number;
  /** Stable and machine-readable: the domain error's code, or what kind of failure it was. */
  readonly code: string;
  readonly message: string;
  /** A line for the operator under the message (text output only); empty for none. */
  readonly hint: string;
}

/** Expected errors carry their message only; a stack trace is reserved for bugs. */
export function failureOf(error: unknown): Failure {
  if (error instanceof UsageError) {
    return {
      exit: EXIT_USAGE,
      code: 'invalid_arguments',
      message: error.message,
      hint: 'Run "seatkeeper help" for usage.\n',
    };
  }
  if (error instanceof ConfigError) {
    return { exit: EXIT_USAGE, code: 'invalid_configuration', message: error.message, hint: '' };
  }
  if (error instanceof DomainError) {
    // A refusal of a kind the table does not name (one defined outside domain/errors.ts) is still one.
    const exit = answerFor(EXIT_CODES, error)?.[1] ?? EXIT_REFUSED;
    return { exit, code: error.code, message: error.message, hint: '' };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { exit: EXIT_INTERNAL, code: 'internal_error', message: `unexpected error: ${detail}`, hint: '' };
}
