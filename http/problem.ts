// Problem Details for HTTP APIs (RFC 9457): the error form of every non-SCIM, non-SSO endpoint.
// The one place that maps the domain error hierarchy to HTTP statuses for JSON APIs: its table is
// this protocol's, the domain errors carry only their stable codes.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
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
import type { Logger } from '../runtime/logger.js';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code: string;
  readonly [extension: string]: unknown;
}

/** Status and title per error class; the first match wins, so subclasses come before their parents. */
export const PROBLEM_ANSWERS: readonly (readonly [DomainErrorClass, number, string])[] = [
  [ValidationError, 400, 'Invalid request'],
  [AuthError, 401, 'Not signed in'],
  [ForbiddenError, 403, 'Not allowed'],
  [SeatLimitError, 409, 'No seat available'],
  [ContractExpiredError, 409, 'Contract expired'],
  [QuoteError, 409, 'Quote cannot be confirmed'],
  [NotFoundError, 404, 'Not found'],
  [GoneError, 410, 'Gone'],
  [TooLargeError, 413, 'Too large'],
  [PreconditionFailedError, 412, 'Precondition failed'],
  [ConflictError, 409, 'Conflict'],
  // A sign-in refusal is the SSO pages' to answer, an outbound refusal is a setting the caller sent.
  [SignInRefusedError, 400, 'Request refused'],
  [OutboundRefusedError, 400, 'Request refused'],
];

/** A domain error of a kind the table does not name (one defined outside domain/errors.ts). */
const OTHER = [DomainError, 400, 'Request refused'] as const;

export function toProblem(error: DomainError): Problem {
  const [, status, title] = answerFor(PROBLEM_ANSWERS, error) ?? OTHER;
  return {
    type: `urn:seatkeeper:problem:${error.code}`,
    title,
    status,
    detail: error.message,
    code: error.code,
    ...error.details,
  };
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, {
    type: 'about:blank',
    title: 'Not found',
    status: 404,
    code: 'not_found',
    detail: `No route for ${req.method} ${req.path}.`,
  });
};

/** Last middleware: a domain error becomes its problem; anything else is logged and answered 500 without detail. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof DomainError) {
      sendProblem(res, toProblem(error));
      return;
    }
    // body-parser errors carry an HTTP status and are the client's fault (bad JSON, too large).
    const status =
      typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : 500;
    if (status >= 400 && status < 500) {
      const title = status === 413 ? 'Request body too large' : 'Malformed request';
      sendProblem(res, {
        type: 'about:blank',
        title,
        status,
        code: status === 413 ? 'body_too_large' : 'malformed_request',
      });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(res, {
      type: 'about:blank',
      title: 'Internal server error',
      status: 500,
      code: 'internal_error',
    });
  };
}
