// The error mappers, one per protocol (http/problem.ts, scim/errors.ts, cli/exit-codes.ts): every
// kind of domain error has an answer in each, the answers are the ones clients rely on, and what is
// not a domain error is answered as each protocol says.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import * as domainErrors from '../../../domain/errors.js';
import {
  AuthError,
  ConflictError,
  ContractExpiredError,
  DomainError,
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
} from '../../../domain/errors.js';
import { UsageError } from '../../../cli/args.js';
import { EXIT_CODES, failureOf } from '../../../cli/exit-codes.js';
import { SCIM_ANSWERS, ScimError, toScimError } from '../../../scim/errors.js';
import { ConfigError } from '../../../server/config.js';
import { PROBLEM_ANSWERS, toProblem } from '../../../http/problem.js';

type ErrorType = abstract new (...args: never[]) => DomainError;

/** Every kind of domain error: each class domain/errors.ts exports. */
const KINDS = Object.entries(domainErrors as Record<string, unknown>).filter(
  (entry): entry is [string, ErrorType] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof DomainError,
);

/** The row of `table` that answers errors of `kind`: its own, or an ancestor's below DomainError. */
const rowFor = (table: readonly (readonly [ErrorType, ...unknown[]])[], kind: ErrorType) =>
  table.find(([type]) => type !== DomainError && (kind === type || kind.prototype instanceof type));

describe('Domain errors in each protocol', () => {
  test('When a kind of domain error exists, then the problem, SCIM and exit code tables each answer it', () => {
    assert.ok(KINDS.length >= 13, `found ${KINDS.length} kinds`);
    for (const [name, kind] of KINDS) {
      assert.ok(rowFor(PROBLEM_ANSWERS, kind), `${name} has no problem answer (http/problem.ts)`);
      assert.ok(rowFor(SCIM_ANSWERS, kind), `${name} has no SCIM answer (scim/errors.ts)`);
      assert.ok(rowFor(EXIT_CODES, kind), `${name} has no exit code (cli/exit-codes.ts)`);
    }
  });

  test('When a table is read, then no row is shadowed by a parent before it (first match wins)', () => {
    for (const [table, name] of [
      [PROBLEM_ANSWERS, 'problem'],
      [SCIM_ANSWERS, 'SCIM'],
      [EXIT_CODES, 'exit codes'],
    ] as const) {
      const types = table.map(([type]) => type);
      types.forEach((type, i) => {
        const parent = types.slice(0, i).find((earlier) => type.prototype instanceof earlier);
        assert.equal(parent, undefined, `${name}: ${type.name} comes after its parent`);
      });
    }
  });

  // [error, problem status, problem title, SCIM status, SCIM scimType, exit status]
  const answers: readonly (readonly [DomainError, number, string, number, string | undefined, number])[] = [
    [new ValidationError('bad'), 400, 'Invalid request', 400, 'invalidValue', 1],
    [
      new ValidationError('bad filter', {}, 'invalid_filter'),
      400,
      'Invalid request',
      400,
      'invalidFilter',
      1,
    ],
    [new ValidationError('bad path', {}, 'invalid_path'), 400, 'Invalid request', 400, 'invalidPath', 1],
    [
      new ValidationError('bad syntax', {}, 'invalid_syntax'),
      400,
      'Invalid request',
      400,
      'invalidSyntax',
      1,
    ],
    [new ValidationError('no target', {}, 'no_target'), 400, 'Invalid request', 400, 'noTarget', 1],
    [new ValidationError('too many', {}, 'too_many'), 400, 'Invalid request', 400, 'tooMany', 1],
    [new AuthError('who?'), 401, 'Not signed in', 401, undefined, 1],
    [new ForbiddenError('no'), 403, 'Not allowed', 403, undefined, 1],
    [new SeatLimitError('acme', ['standard']), 409, 'No seat available', 403, undefined, 1],
    [new ContractExpiredError('acme', '2026-12-31'), 409, 'Contract expired', 403, undefined, 1],
    [new QuoteError('quote_expired', 'old'), 409, 'Quote cannot be confirmed', 400, undefined, 1],
    [new NotFoundError('none'), 404, 'Not found', 404, undefined, 1],
    [new GoneError('used', {}, 'invitation_used'), 410, 'Gone', 400, undefined, 1],
    [new TooLargeError('big'), 413, 'Too large', 400, undefined, 1],
    [new PreconditionFailedError('changed'), 412, 'Precondition failed', 412, undefined, 1],
    [new ConflictError('taken', {}, 'uniqueness'), 409, 'Conflict', 409, 'uniqueness', 1],
    [new ConflictError('busy', {}, 'concurrent_change'), 409, 'Conflict', 409, undefined, 1],
    [new SignInRefusedError('no_seats', 'no seat'), 400, 'Request refused', 400, undefined, 1],
    [new OutboundRefusedError('loopback', 'localhost', 'refused'), 400, 'Request refused', 400, undefined, 1],
  ];

  test('When each kind is answered, then every protocol gives the status clients rely on, with the code and message', () => {
    for (const [error, status, title, scimStatus, scimType, exit] of answers) {
      const problem = toProblem(error);
      assert.deepEqual(
        [problem.status, problem.title, problem.code, problem.detail, problem.type],
        [status, title, error.code, error.message, `urn:seatkeeper:problem:${error.code}`],
        error.code,
      );
      const scim = toScimError(error);
      assert.ok(scim instanceof ScimError, error.code);
      assert.deepEqual(
        [scim.status, scim.scimType, scim.detail],
        [scimStatus, scimType, error.message],
        error.code,
      );
      assert.deepEqual(
        failureOf(error),
        { exit, code: error.code, message: error.message, hint: '' },
        error.code,
      );
    }
  });

  test('When a domain error of a kind no table names is answered, then it is a refusal: 400, SCIM 400, exit 1', () => {
    class Elsewhere extends DomainError {
      readonly code = 'elsewhere';
    }
    const error = new Elsewhere('somewhere else', { where: 'there' });
    const problem = toProblem(error);
    assert.deepEqual([problem.status, problem.title, problem.where], [400, 'Request refused', 'there']);
    assert.deepEqual([toScimError(error)?.status, toScimError(error)?.scimType], [400, undefined]);
    assert.equal(failureOf(error).exit, 1);
  });
});

describe('SCIM errors', () => {
  test('When a User being provisioned finds no seat, then the detail says the attempt is on the waiting list', () => {
    const error = new SeatLimitError('acme', ['standard']);
    assert.equal(toScimError(error)?.detail, error.message);
    const provisioning = toScimError(error, { provisioning: 'anna@acme.example' });
    assert.equal(provisioning?.status, 403);
    assert.equal(
      provisioning?.detail,
      `${error.message} The attempt to provision anna@acme.example was recorded in the organisation's waiting list.`,
    );
    // Only the seat limit says so: another refusal of the same write is answered as it is.
    assert.equal(
      toScimError(new ConflictError('taken', {}, 'uniqueness'), { provisioning: 'x' })?.detail,
      'taken',
    );
  });

  test('When the body parser or scimmy refuses, then their status is kept; anything else is not a SCIM error', () => {
    const tooLarge = toScimError(Object.assign(new Error('too large'), { status: 413 }));
    assert.deepEqual(
      [tooLarge?.status, tooLarge?.detail],
      [413, 'The request body is larger than 1048576 bytes.'],
    );
    const notJson = toScimError(Object.assign(new Error('x'), { status: 400, type: 'entity.parse.failed' }));
    assert.deepEqual(
      [notJson?.status, notJson?.scimType, notJson?.detail],
      [400, 'invalidSyntax', 'The request body is not valid JSON.'],
    );
    const scimmy = toScimError(Object.assign(new Error('Schema x not found'), { status: 404 }));
    assert.deepEqual(
      [scimmy?.status, scimmy?.scimType, scimmy?.detail],
      [404, undefined, 'Schema x not found'],
    );
    const own = new ScimError(429, undefined, 'slow down');
    assert.equal(toScimError(own), own);
    assert.equal(toScimError(new Error('bug')), undefined);
    assert.equal(toScimError(Object.assign(new Error('server'), { status: 500 })), undefined);
  });
});

describe('CLI exit codes', () => {
  test('When the command line or the configuration is wrong, then 2; when the code fails, then 70 with the stack', () => {
    assert.deepEqual(failureOf(new UsageError(['--x is unknown'])), {
      exit: 2,
      code: 'invalid_arguments',
      message: '--x is unknown',
      hint: 'Run "seatkeeper help" for usage.\n',
    });
    const config = new ConfigError(['PORT must be a number']);
    assert.deepEqual(failureOf(config), {
      exit: 2,
      code: 'invalid_configuration',
      message: config.message,
      hint: '',
    });
    const bug = new TypeError('x is undefined');
    const failure = failureOf(bug);
    assert.deepEqual([failure.exit, failure.code], [70, 'internal_error']);
    assert.equal(failure.message, `unexpected error: ${bug.stack}`);
    assert.equal(failureOf('thrown text').message, 'unexpected error: thrown text');
  });
});
