// Hostile input against the real SCIM server (RFC 7644 at /scim/v2) on 127.0.0.1, driven with global
// fetch and fast-check. Whatever arrives — arbitrary filters, bodies, PATCH documents, query
// parameters, ids of other organisations, broken tokens — the answer is a success the request
// could earn or a 4xx SCIM Error (RFC 7644 §3.12: the Error schema, `status` as a string equal to
// the HTTP status, a `detail`), never a 5xx, and the database stays consistent: after every
// generated request, each tier's `held` counter equals the member rows holding a seat of it.
//
// The server state carries over between runs on purpose (what a run stored, the next reads), so a
// shrunk counterexample is replayed by the plain regression tests at the end of the file rather
// than by the seed alone. A 5xx that is a known, reported bug (KNOWN_BUGS) is counted instead of
// failing the property, so the properties keep hunting for new ones; FUZZ_STRICT=1 fails on those
// too. Reproduce with FC_SEED=<seed>; scale every property with FC_RUNS_FACTOR=<x>.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import { randomUUID } from 'node:crypto';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { OPERATOR } from '../../../domain/model.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter } from '../../../scim/filter.js';
import { MAX_USER_BYTES } from '../../../scim/limits.js';
import {
  ENTERPRISE_SCHEMA,
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  LIST_SCHEMA,
  MAX_PAYLOAD,
  MAX_RESULTS,
  PATCH_SCHEMA,
  SEARCH_SCHEMA,
  SEAT_SCHEMA,
  USER_SCHEMA,
} from '../../../scim/schemas.js';
import {
  createExample,
  heldMatchesMembers,
  listen,
  scimToken,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';

// --- configuration --------------------------------------------------------------------------------

const FACTOR = Number(process.env.FC_RUNS_FACTOR ?? 1);
const STRICT = process.env.FUZZ_STRICT === '1';
const runs = (n: number) => ({
  numRuns: Math.max(1, Math.round(n * FACTOR)),
  ...(process.env.FC_SEED !== undefined ? { seed: Number(process.env.FC_SEED) } : {}),
});

/** RFC 7644 §3.12 Table 9. */
const SCIM_TYPES = new Set([
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
]);

/** Node's http parser refuses a request head above 16 KiB (431) before the app sees it. */
const MAX_GET_URL = 8000;

// --- requests and the one response check ---------------------------------------------------------

interface Request {
  readonly method: string;
  /** Below /scim/v2, query included. */
  readonly path: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A bearer token; null sends no Authorization header. Defaults to organisation A's token. */
  readonly token?: string | null;
  /** A whole Authorization header value, instead of `token`. */
  readonly authorization?: string;
}

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly wwwAuthenticate: string | null;
  readonly text: string;
}

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

function show(req: Request, reply: Reply): string {
  return [
    `${req.method} /scim/v2${clip(req.path)}`,
    ...(req.headers ? [`headers ${clip(JSON.stringify(req.headers))}`] : []),
    ...(req.authorization !== undefined ? [`authorization ${JSON.stringify(req.authorization)}`] : []),
    ...(req.body !== undefined ? [`body ${clip(req.body)}`] : []),
    `→ ${reply.status} ${reply.contentType} ${clip(reply.text)}`,
  ].join('\n  ');
}

/** A known 5xx, reported and kept as a todo regression test: tolerated by the properties. */
interface KnownBug {
  readonly id: string;
  readonly matches: (req: Request) => boolean;
}

/**
 * Known 5xx bugs, each reported with a todo regression test below; the properties count them
 * instead of failing (FUZZ_STRICT=1 fails anyway). Empty: the one 5xx found so far is fixed.
 */
const KNOWN_BUGS: readonly KnownBug[] = [];

let server: RunningServer;
let tokenA: string;

async function send(req: Request): Promise<Reply> {
  const headers: Record<string, string> = { ...req.headers };
  const token = req.token === undefined ? tokenA : req.token;
  if (req.authorization !== undefined) headers.authorization = req.authorization;
  else if (token !== null) headers.authorization = `Bearer ${token}`;
  if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['content-type'] = 'application/scim+json';
  const res = await fetch(`${server.url}/scim/v2${req.path}`, {
    method: req.method,
    headers,
    ...(req.body !== undefined ? { body: req.body } : {}),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    wwwAuthenticate: res.headers.get('www-authenticate'),
    text: await res.text(),
  };
}

/** Status counts per property, and known bugs hit, for the final diagnostics. */
const stats = new Map<string, Map<number, number>>();
const knownHits = new Map<string, number>();

function count(property: string, status: number): void {
  const byStatus = stats.get(property) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  stats.set(property, byStatus);
}

interface ScimErrorJson {
  readonly schemas: unknown;
  readonly status: unknown;
  readonly scimType?: unknown;
  readonly detail: unknown;
}

/** A 4xx whose body is a SCIM Error (RFC 7644 §3.12). Returns the parsed body. */
function assertScimError(req: Request, reply: Reply): ScimErrorJson {
  const where = show(req, reply);
  assert.ok(reply.status >= 400 && reply.status < 500, `expected a 4xx:\n  ${where}`);
  assert.match(reply.contentType, /^application\/scim\+json/, `not application/scim+json:\n  ${where}`);
  let body: ScimErrorJson;
  try {
    body = JSON.parse(reply.text) as ScimErrorJson;
  } catch {
    assert.fail(`the error body is not JSON:\n  ${where}`);
  }
  assert.deepEqual(body.schemas, [ERROR_SCHEMA], `not a SCIM Error:\n  ${where}`);
  assert.equal(
    body.status,
    String(reply.status),
    `"status" must be the HTTP status as a string:\n  ${where}`,
  );
  assert.ok(typeof body.detail === 'string' && body.detail !== '', `no "detail":\n  ${where}`);
  if (body.scimType !== undefined)
    assert.ok(
      typeof body.scimType === 'string' && SCIM_TYPES.has(body.scimType),
      `unknown scimType:\n  ${where}`,
    );
  return body;
}

/**
 * The check every generated request goes through: never a 5xx (unless a known bug), one of the
 * `ok` statuses, or else a 4xx SCIM Error.
 */
function expectOutcome(property: string, req: Request, reply: Reply, ok: readonly number[]): void {
  count(property, reply.status);
  if (reply.status >= 500) {
    const known = KNOWN_BUGS.find((b) => b.matches(req));
    if (known && !STRICT) {
      knownHits.set(known.id, (knownHits.get(known.id) ?? 0) + 1);
      return;
    }
    assert.fail(`5xx:\n  ${show(req, reply)}`);
  }
  if (ok.includes(reply.status)) {
    if (reply.status !== 204 && reply.status !== 304) {
      assert.match(reply.contentType, /^application\/scim\+json/, show(req, reply));
      const body = JSON.parse(reply.text) as { schemas?: unknown };
      assert.ok(Array.isArray(body.schemas), `a success without "schemas":\n  ${show(req, reply)}`);
    }
    return;
  }
  assertScimError(req, reply);
}

/** A list response (RFC 7644 §3.4.2) with sane paging. */
function assertList(req: Request, reply: Reply, requestedCount?: number): void {
  const body = JSON.parse(reply.text) as {
    schemas: unknown;
    totalResults: number;
    startIndex: number;
    itemsPerPage: number;
    Resources: unknown[];
  };
  const where = show(req, reply);
  assert.deepEqual(body.schemas, [LIST_SCHEMA], where);
  assert.ok(Array.isArray(body.Resources), where);
  assert.equal(body.itemsPerPage, body.Resources.length, where);
  assert.ok(Number.isSafeInteger(body.startIndex) && body.startIndex >= 1, where);
  assert.ok(body.itemsPerPage <= MAX_RESULTS, where);
  assert.ok(body.totalResults >= body.itemsPerPage, where);
  if (requestedCount !== undefined) assert.ok(body.itemsPerPage <= Math.max(0, requestedCount), where);
}

// --- the world -----------------------------------------------------------------------------------

let ctx: TestContext;
let orgA: number;
let orgB: number;
let tokenB: string;
let revokedToken: string;
/** Organisation A's directory users and groups, created before the properties run. */
const usersA: string[] = [];
const groupsA: string[] = [];
/** Organisation B's: another tenant that A's token must never reach. */
const usersB: string[] = [];
const groupsB: string[] = [];
let snapshotB: string;

const unhandled: unknown[] = [];
const uncaught: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const onUncaught = (error: unknown) => uncaught.push(error);

async function create(token: string, kind: 'Users' | 'Groups', body: object): Promise<string> {
  const req: Request = { method: 'POST', path: `/${kind}`, body: JSON.stringify(body), token };
  const reply = await send(req);
  assert.equal(reply.status, 201, show(req, reply));
  return (JSON.parse(reply.text) as { id: string }).id;
}

/** Organisation B's resources as B sees them, to prove nothing A sends changes them. */
async function readB(): Promise<string> {
  const parts: string[] = [];
  for (const [kind, ids] of [
    ['Users', usersB],
    ['Groups', groupsB],
  ] as const) {
    for (const id of ids) {
      const req: Request = { method: 'GET', path: `/${kind}/${id}`, token: tokenB };
      const reply = await send(req);
      assert.equal(reply.status, 200, show(req, reply));
      parts.push(reply.text);
    }
  }
  return parts.join('\n');
}

async function consistent(): Promise<void> {
  assert.ok(await heldMatchesMembers(ctx, orgA), 'organisation A: held seats differ from seated members');
  assert.ok(await heldMatchesMembers(ctx, orgB), 'organisation B: held seats differ from seated members');
}

// --- generators: filters --------------------------------------------------------------------------

const caseOf = (words: readonly [string, ...string[]]) =>
  fc
    .tuple(fc.constantFrom(...words), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }))
    .map(([w, flags]) => [...w].map((c, i) => (flags[i % 12] ? c.toUpperCase() : c.toLowerCase())).join(''));

const USER_ATTRS = [
  'userName',
  'displayName',
  'externalId',
  'active',
  'id',
  'title',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'name',
  'name.givenName',
  'meta',
  'meta.created',
  'meta.lastModified',
  'meta.resourceType',
  'groups',
  'groups.value',
  'phoneNumbers',
  'addresses.locality',
  'x509Certificates',
  'employeeNumber',
  'manager',
  'seatState',
  'role',
  'tier',
] as const;
const GROUP_ATTRS = [
  'displayName',
  'externalId',
  'id',
  'members',
  'members.value',
  'members.display',
] as const;
const URNS = [
  USER_SCHEMA,
  GROUP_SCHEMA,
  ENTERPRISE_SCHEMA,
  SEAT_SCHEMA,
  'urn:ietf:params:scim:schemas:core:2.0',
  'urn:ietf:params:scim:schemas:extension:unknown:2.0:User',
  'urn:x',
  'http://example.com/schema',
  'urn',
  '',
] as const;

const attrName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...USER_ATTRS, ...GROUP_ATTRS) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,12}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('$ref', '1abc', '-x', '_x', 'a..b', 'a.b.c', '.value', 'emails.', 'x y', 'é'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);
const attrPath = fc.oneof(
  { weight: 4, arbitrary: attrName },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...URNS), attrName).map(([u, a]) => `${u}:${a}`) },
  { weight: 1, arbitrary: fc.tuple(attrName, attrName).map(([a, b]) => `${a}.${b}`) },
);
const compareOp = fc.oneof(
  { weight: 6, arbitrary: caseOf(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']) },
  { weight: 1, arbitrary: fc.constantFrom('eqq', '=', '==', 'like', 'in', '', '!', 'pr') },
);
const filterValue = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'binary', maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    'true',
    'False',
    'NULL',
    '1e400',
    '-1e-400',
    '12345678901234567890',
    '-0',
    '0x10',
    '01',
    '1.',
    '.5',
    '"unterminated',
    '"\\x"',
    '"\\u12"',
    '"\\ud800"',
    '"a\\"b"',
    '""',
    '"2026-01-01T00:00:00Z"',
    '"2026-13-45T99:99:99Z"',
    '"0000-01-01T00:00:00Z"',
    '"9999-12-31T23:59:59.9999999+14:00"',
    '"2026-02-29T00:00:00Z"',
    '[',
    ']',
    '(',
    ')',
  ),
  fc.stringMatching(/^[A-Za-z][\w.@-]{0,10}$/),
);
const leafFilter = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(attrPath, compareOp, filterValue).map(([a, o, v]) => `${a} ${o} ${v}`) },
  { weight: 1, arbitrary: fc.tuple(attrPath, caseOf(['pr'])).map(([a, p]) => `${a} ${p}`) },
  { weight: 1, arbitrary: attrPath },
);

/** Filters shaped like the grammar (RFC 7644 §3.4.2.2), with random names, operators and values. */
const nearValidFilter = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 6, withCrossShrink: true },
    leafFilter,
    fc.tuple(tie('node'), caseOf(['and', 'or']), tie('node')).map(([l, o, r]) => `${l} ${o} ${r}`),
    fc
      .tuple(caseOf(['not']), fc.constantFrom(' (', '(', ' '), tie('node'))
      .map(([n, open, f]) => `${n}${open}${f}${open.includes('(') ? ')' : ''}`),
    tie('node').map((f) => `(${f})`),
    fc
      .tuple(
        attrPath,
        tie('node'),
        fc.constantFrom('', '.value', '.type', '.display', '.x', ' .value'),
        fc.tuple(compareOp, filterValue),
      )
      .map(([a, f, sub, [o, v]]) => `${a}[${f}]${sub}${sub ? ` ${o} ${v}` : ''}`),
  ),
})).node;

/** Small edits that break well-formed text: a character gone, one added, a cut, a doubled part. */
const mutated = (base: fc.Arbitrary<string>) =>
  fc
    .tuple(
      base,
      fc.array(
        fc.tuple(
          fc.constantFrom('delete', 'insert', 'truncate', 'duplicate'),
          fc.nat(),
          fc.constantFrom(
            '(',
            ')',
            '[',
            ']',
            '"',
            '\\',
            ' ',
            '.',
            ':',
            ',',
            '\u0000',
            '\n',
            'é',
            '😀',
            'and ',
            'not ',
          ),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([text, edits]) =>
      edits.reduce((s, [kind, at, piece]) => {
        const i = s.length === 0 ? 0 : at % (s.length + 1);
        if (kind === 'delete') return s.slice(0, i) + s.slice(i + 1);
        if (kind === 'insert') return s.slice(0, i) + piece + s.slice(i);
        if (kind === 'truncate') return s.slice(0, i);
        return s.slice(0, i) + s.slice(0, i) + s.slice(i);
      }, text),
    );

const OPENERS = [
  ['(', ')'],
  ['not (', ')'],
  ['NOT(', ')'],
  ['emails[', ']'],
  ['emails[value eq "a" and (', ')]'],
  ['(userName eq "a" and ', ')'],
  ['not (emails[type eq "work" or not (', ')])'],
  ['[', ']'],
] as const;

/** Deep nesting of "(", "not (" and "[" in any mix, around and far beyond MAX_FILTER_DEPTH. */
const deepFilter = fc
  .record({
    openers: fc.oneof(
      fc.array(fc.constantFrom(...OPENERS), {
        minLength: MAX_FILTER_DEPTH - 3,
        maxLength: MAX_FILTER_DEPTH + 3,
      }),
      fc.array(fc.constantFrom(...OPENERS), { maxLength: 300 }),
    ),
    repeat: fc.constantFrom(1, 1, 1, 10, 100),
    core: leafFilter,
    balanced: fc.boolean(),
  })
  .map(({ openers, repeat, core, balanced }) => {
    const all = Array.from({ length: repeat }, () => openers).flat();
    return (
      all.map(([o]) => o).join('') +
      core +
      (balanced
        ? all
            .map(([, c]) => c)
            .reverse()
            .join('')
        : '')
    );
  });

/** Long filters, around MAX_FILTER_LENGTH and far above it. */
const hugeFilter = fc.oneof(
  fc
    .integer({ min: MAX_FILTER_LENGTH - 20, max: MAX_FILTER_LENGTH + 20 })
    .map((n) => `userName eq "${'x'.repeat(Math.max(0, n - 15))}"`),
  fc.integer({ min: 1, max: 200_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 1, max: 2_000 }).map((n) => `${'userName eq "a" or '.repeat(n)}userName eq "a"`),
  fc.integer({ min: 1, max: 3_000 }).map((n) => `${'emails.value co "'.repeat(n)}`),
  fc
    .tuple(fc.integer({ min: 100, max: 50_000 }), fc.constantFrom('"', '\\', '(', ')', '[', ']', ' ', 'é'))
    .map(([n, c]) => c.repeat(n)),
);

const isWellFormed = (s: string) => {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};

/** Arbitrary text: any code points, and text made of the filter language's own characters. */
const anyFilterText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc
    .array(
      fc.constantFrom(
        '(',
        ')',
        '[',
        ']',
        '"',
        '\\',
        ' ',
        '.',
        ':',
        'a',
        'eq',
        'pr',
        'and',
        'or',
        'not',
        '1',
        '-',
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join('')),
);

// --- generators: valid filters (the oracle: these must answer 200) ---------------------------------

const jsonString = fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s));
const dateLiteral = fc
  .tuple(
    fc.date({
      min: new Date('0002-01-01T00:00:00Z'),
      max: new Date('9998-12-31T23:59:59Z'),
      noInvalidDate: true,
    }),
    fc.constantFrom('Z', 'z', '+05:30', '-11:00', ''),
    fc.constantFrom('ms', 'none', 'micro'),
  )
  .map(([d, zone, fraction]) => {
    const iso = d.toISOString().slice(0, 19);
    const frac = fraction === 'ms' ? d.toISOString().slice(19, 23) : fraction === 'micro' ? '.123456' : '';
    return `"${iso}${frac}${zone}"`;
  });
const stringOps = caseOf(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

function validFilter(resource: 'Users' | 'Groups'): fc.Arbitrary<string> {
  const stringAttrs =
    resource === 'Users'
      ? ([
          'userName',
          'displayName',
          'externalId',
          'title',
          'nickName',
          'name.givenName',
          'name.formatted',
          'emails',
          'emails.value',
          'emails.type',
          'emails.display',
          'phoneNumbers.value',
          'addresses.locality',
          'id',
          'meta.resourceType',
          `${ENTERPRISE_SCHEMA}:department`,
          'employeeNumber',
          `${ENTERPRISE_SCHEMA}:manager.value`,
          `${SEAT_SCHEMA}:tier`,
          'seatState',
          'role',
          `${USER_SCHEMA}:userName`,
        ] as const)
      : (['displayName', 'externalId', 'id', 'meta.resourceType', `${GROUP_SCHEMA}:displayName`] as const);
  const idOnly =
    resource === 'Users' ? (['groups', 'groups.value'] as const) : (['members', 'members.value'] as const);
  const present = [
    ...stringAttrs,
    ...idOnly,
    ...(resource === 'Users'
      ? ['active', 'name', 'emails', 'x509Certificates', `${ENTERPRISE_SCHEMA}:manager`]
      : []),
    'meta',
    'meta.created',
  ] as [string, ...string[]];
  const leaf = fc.oneof(
    fc
      .tuple(fc.constantFrom(...stringAttrs), stringOps, fc.oneof(jsonString, fc.integer().map(String)))
      .map(([a, o, v]) => `${a} ${o} ${v}`),
    fc
      .tuple(fc.constantFrom(...stringAttrs, ...idOnly), caseOf(['eq', 'ne']), fc.constant('null'))
      .map(([a, o, v]) => `${a} ${o} ${v}`),
    fc
      .tuple(fc.constantFrom(...idOnly), caseOf(['eq', 'ne']), jsonString)
      .map(([a, o, v]) => `${a} ${o} ${v}`),
    resource === 'Users'
      ? fc
          .tuple(
            fc.constantFrom('active', 'emails.primary'),
            caseOf(['eq', 'ne']),
            fc.constantFrom('true', 'FALSE', '"True"', '"false"'),
          )
          .map(([a, o, v]) => `${a} ${o} ${v}`)
      : fc.constant('displayName pr'), // groups have no boolean attribute
    fc
      .tuple(
        fc.constantFrom('meta.created', 'meta.lastModified'),
        caseOf(['eq', 'ne', 'gt', 'ge', 'lt', 'le']),
        dateLiteral,
      )
      .map(([a, o, v]) => `${a} ${o} ${v}`),
    fc.tuple(fc.constantFrom(...present), caseOf(['pr'])).map(([a, p]) => `${a} ${p}`),
    ...(resource === 'Users'
      ? [
          fc
            .tuple(
              fc.constantFrom('emails', 'phoneNumbers'),
              fc.array(fc.tuple(fc.constantFrom('value', 'type', 'display'), stringOps, jsonString), {
                minLength: 1,
                maxLength: 3,
              }),
              fc.constantFrom('', '.value', '.type'),
              stringOps,
              jsonString,
            )
            .map(
              ([a, conditions, sub, o, v]) =>
                `${a}[${conditions.map(([s, op, val]) => `${s} ${op} ${val}`).join(' and ')}]${sub}${sub ? ` ${o} ${v}` : ''}`,
            ),
        ]
      : []),
  );
  return fc
    .letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', maxDepth: 5, withCrossShrink: true },
        leaf,
        fc.tuple(tie('node'), caseOf(['and', 'or']), tie('node')).map(([l, o, r]) => `${l} ${o} ${r}`),
        tie('node').map((f) => `not (${f})`),
        tie('node').map((f) => `(${f})`),
      ),
    }))
    .node.filter(withinTermLimit);
}

/** Valid filters stay within MAX_FILTER_TERMS comparisons; longer ones are refused (tested above). */
function withinTermLimit(text: string): boolean {
  try {
    parseFilter(text);
  } catch (error) {
    if (error instanceof Error && /more than \d+ comparisons/.test(error.message)) return false;
  }
  return true;
}

// --- generators: bodies ---------------------------------------------------------------------------

/** Objects or arrays nested `depth` levels, around a leaf. */
const nested = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant(50)),
    shape: fc.constantFrom('object', 'array', 'mixed', 'value-objects'),
    leaf: fc.jsonValue({ maxDepth: 0 }),
  })
  .map(({ depth, shape, leaf }) => {
    let v: unknown = leaf;
    for (let i = 0; i < depth; i++) {
      if (shape === 'object' || (shape === 'mixed' && i % 2 === 0)) v = { a: v };
      else if (shape === 'value-objects') v = [{ value: v, type: 'work' }];
      else v = [v];
    }
    return v;
  });

const emailLike = fc
  .tuple(
    fc.oneof(
      fc.stringMatching(/^[a-z0-9.+_-]{1,12}$/),
      // Letters of several scripts in both cases: identity providers carry real people's names.
      fc.string({ unit: fc.constantFrom(...'aZ9._-ÄäÖöÉéßİıΣσςЖжǅK'), minLength: 1, maxLength: 8 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
      fc.constantFrom('owner', 'OWNER', 'Ä', 'İ', 'ß', 'Σ', 'K', 'Å'),
    ),
    fc.constantFrom(
      'acme.example',
      'ACME.example',
      'globex.example',
      'xn--bcher-kva.example',
      'example',
      'a.b',
      '',
    ),
  )
  .map(([local, domain]) => `${local}@${domain}`);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      'maybe',
      'True',
      'FALSE',
      'yes',
      '',
      ' ',
      'null',
      0,
      1,
      -1,
      1e308,
      [],
      {},
      [null],
      [[]],
      [{}],
      { value: null },
      { value: 1 },
      { value: {} },
      [{ value: [] }],
      [{ value: 'x@acme.example', primary: 'maybe' }],
      [
        { value: 'x@acme.example', primary: true },
        { value: 'y@acme.example', primary: true },
      ],
      ['x@acme.example'],
      { givenName: 1 },
      { formatted: ['a'] },
      { tier: 'premium' },
      { tier: 'gold' },
      { tier: 1 },
      { manager: 'someone' },
      { manager: { value: 1 } },
    ),
  },
  { weight: 2, arbitrary: nested },
  { weight: 2, arbitrary: emailLike },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.record({ value: emailLike, type: fc.string(), primary: fc.boolean() }), {
      maxLength: 3,
    }),
  },
);

const USER_KEYS = [
  'userName',
  'name',
  'emails',
  'active',
  'displayName',
  'externalId',
  'phoneNumbers',
  'addresses',
  'groups',
  'schemas',
  'id',
  'meta',
  'password',
  'x509Certificates',
  'roles',
  'title',
  'timezone',
  'manager',
  'members',
  ENTERPRISE_SCHEMA,
  SEAT_SCHEMA,
  `${ENTERPRISE_SCHEMA}:department`,
  '__proto__',
  'constructor',
  'toString',
] as const;

/** A plausible user with some attributes replaced by values of the wrong type or shape. */
const userBody = fc
  .record({
    userName: fc.oneof(
      emailLike,
      fc.uuid().map((u) => `${u}@acme.example`),
    ),
    overrides: fc.oneof(
      fc.constant([]),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...USER_KEYS), fc.string({ maxLength: 8 })), hostileValue), {
        minLength: 1,
        maxLength: 4,
      }),
    ),
  })
  .map(({ userName, overrides }) => {
    const body: Record<string, unknown> = {
      schemas: [USER_SCHEMA],
      userName,
      emails: [{ value: userName, type: 'work', primary: true }],
      active: true,
    };
    for (const [key, value] of overrides)
      Object.defineProperty(body, key, { value, enumerable: true, configurable: true, writable: true });
    return JSON.stringify(body);
  });

function groupBody(memberIds: () => string[]): fc.Arbitrary<string> {
  const member = fc.oneof(
    fc.constantFrom(...memberIds()).map((value) => ({ value })),
    fc.constantFrom(...memberIds()),
    hostileValue,
  );
  return fc
    .record({
      displayName: fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.constantFrom('Engineering', 'ENGINEERING', 'Ä', 'ä', '', ' ', 'Owners'),
        hostileValue,
      ),
      members: fc.option(fc.oneof(fc.array(member, { maxLength: 5 }), hostileValue), { nil: undefined }),
      overrides: fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('externalId', 'schemas', 'id', 'meta', 'members', '__proto__'),
            fc.string(),
          ),
          hostileValue,
        ),
        { maxLength: 3 },
      ),
    })
    .map(({ displayName, members, overrides }) => {
      const body: Record<string, unknown> = { schemas: [GROUP_SCHEMA], displayName };
      if (members !== undefined) body.members = members;
      for (const [key, value] of overrides)
        Object.defineProperty(body, key, { value, enumerable: true, configurable: true, writable: true });
      return JSON.stringify(body);
    });
}

const invalidJson = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.tuple(fc.jsonValue(), fc.nat()).map(([v, at]) => {
      const s = JSON.stringify(v);
      return s.slice(0, at % Math.max(1, s.length));
    }),
    fc.constantFrom(
      '{',
      '{"userName":',
      '{"userName":"a@acme.example",}',
      "{'userName':'a@acme.example'}",
      'NaN',
      '{"a":NaN}',
      '{"a":01}',
      '\u0000',
      '{"a":"\\x"}',
      '{"a" 1}',
      'undefined',
      '{"__proto__":',
      '"just a string"',
      '42',
      'true',
      'null',
      '',
    ),
  )
  .filter((s) => {
    try {
      const parsed: unknown = JSON.parse(s);
      // express.json is strict: only objects and arrays are JSON bodies; anything else is refused.
      return typeof parsed !== 'object' || parsed === null;
    } catch {
      return true;
    }
  });

const CONTENT_TYPES = [
  'application/scim+json',
  'application/json',
  'application/scim+json; charset=utf-8',
  'application/JSON',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'application/scim+json;;',
  'garbage',
  '*/*',
  'application/*',
  'application/merge-patch+json',
  'application/json-patch+json',
  '',
] as const;
const ENCODINGS = ['', 'identity', 'gzip', 'deflate', 'br', 'x-bogus', 'gzip, gzip'] as const;

/** Whether the body, decoded as its Content-Encoding says (as the body parser decodes it), is empty. */
function decodesToNothing(body: string, encoding: (typeof ENCODINGS)[number]): boolean {
  const decode = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync }[
    encoding as 'gzip' | 'deflate' | 'br'
  ];
  if (!decode) return false;
  try {
    return decode(Buffer.from(body)).length === 0;
  } catch {
    return false;
  }
}

// --- generators: PATCH ----------------------------------------------------------------------------

const MISSING = Symbol('missing');

const opName = fc.oneof(
  { weight: 8, arbitrary: caseOf(['add', 'remove', 'replace']) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('move', 'copy', 'test', 'delete', 'update', 'ADD ', ' add', '', 'Add\u0000'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);

const USER_PATCH_PATHS = [
  'userName',
  'displayName',
  'active',
  'emails',
  'emails.value',
  'emails[type eq "work"].value',
  'emails[type eq "work"]',
  'emails[value co "@"]',
  'emails[primary eq true].value',
  'phoneNumbers[type eq "mobile"].value',
  'phoneNumbers[type eq "mobile"]',
  'addresses[type eq "work"].locality',
  'name.givenName',
  'name',
  'externalId',
  `${ENTERPRISE_SCHEMA}:manager`,
  `${ENTERPRISE_SCHEMA}:manager.value`,
  `${ENTERPRISE_SCHEMA}:department`,
  ENTERPRISE_SCHEMA,
  `${SEAT_SCHEMA}:tier`,
  `${SEAT_SCHEMA}:seatState`,
  `${USER_SCHEMA}:userName`,
  'groups',
  'id',
  'meta',
  'meta.version',
  'schemas',
  'members',
  'title',
  'x509Certificates',
  'roles[value eq "a"]',
] as const;
const GROUP_PATCH_PATHS = [
  'members',
  'displayName',
  'externalId',
  'members[value eq "x"]',
  'members[display eq "x"]',
  'members[value eq "x"].value',
  'members[value ne "x"]',
  'id',
  'meta',
  `${GROUP_SCHEMA}:displayName`,
] as const;

function patchBody(memberIds: () => string[]): fc.Arbitrary<string> {
  const memberRef = fc.oneof(
    fc.constantFrom(...memberIds()).map((value) => ({ value })),
    fc.constantFrom(...memberIds()),
    fc.uuid().map((value) => ({ value })),
  );
  const path = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...USER_PATCH_PATHS, ...GROUP_PATCH_PATHS) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...memberIds()).map((id) => `members[value eq "${id}"]`),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'emails',
            'phoneNumbers',
            'addresses',
            'roles',
            'members',
            'groups',
            'name',
            ENTERPRISE_SCHEMA,
          ),
          fc.oneof(leafFilter, nearValidFilter, fc.string({ maxLength: 20 })),
          fc.constantFrom('', '.value', '.type', '.primary', '.display', '.x'),
        )
        .map(([a, f, s]) => `${a}[${f}]${s}`),
    },
    { weight: 2, arbitrary: attrPath },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constant(MISSING) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  const attributes = fc.dictionary(
    fc.oneof(fc.constantFrom(...USER_KEYS, 'displayName', 'members'), fc.string({ maxLength: 6 })),
    fc.oneof(hostileValue, fc.array(memberRef, { maxLength: 3 })),
    { maxKeys: 4 },
  );
  const value = fc.oneof(
    { weight: 4, arbitrary: hostileValue },
    { weight: 2, arbitrary: fc.array(memberRef, { maxLength: 4 }) },
    { weight: 2, arbitrary: attributes },
    { weight: 1, arbitrary: fc.constant(MISSING) },
  );
  const operation = fc.oneof(
    {
      weight: 9,
      arbitrary: fc.record({ op: opName, path, value }).map(({ op, path: p, value: v }) => ({
        op,
        ...(p !== MISSING ? { path: p } : {}),
        ...(v !== MISSING ? { value: v } : {}),
      })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
  // Operations a real provider sends, with plausible-but-odd values: these get past validation to
  // scimmy's PatchOp, the uniqueness checks and the seat engine (deactivate, reactivate, change tier).
  const plausible = fc.oneof(
    fc
      .tuple(caseOf(['replace']), fc.constantFrom<unknown>(true, false, 'False', 'TRUE', 'maybe'))
      .map(([op, v]) => ({ op, path: 'active', value: v })),
    fc
      .tuple(caseOf(['replace', 'add']), fc.constantFrom<unknown>('standard', 'premium', 'gold', '', 1))
      .map(([op, tier]) => ({ op, path: `${SEAT_SCHEMA}:tier`, value: tier })),
    fc
      .tuple(caseOf(['replace', 'add']), fc.constantFrom<unknown>('standard', 'premium', 'gold'))
      .map(([op, tier]) => ({ op, path: SEAT_SCHEMA, value: { tier } })),
    fc
      .tuple(fc.boolean(), fc.boolean(), fc.constantFrom<unknown>('standard', 'premium', undefined))
      .map(([active, withName, tier]) => ({
        op: 'replace',
        value: {
          active,
          ...(withName ? { displayName: 'Plausible' } : {}),
          ...(tier !== undefined ? { [SEAT_SCHEMA]: { tier } } : {}),
        },
      })),
    emailLike.map((v) => ({ op: 'replace', path: 'userName', value: v })),
    emailLike.map((v) => ({ op: 'replace', path: 'emails[type eq "work"].value', value: v })),
    emailLike.map((v) => ({ op: 'add', path: 'emails', value: [{ value: v, type: 'work', primary: true }] })),
    fc.string({ maxLength: 12 }).map((v) => ({ op: 'replace', path: 'displayName', value: v })),
    fc
      .string({ maxLength: 12 })
      .map((v) => ({ op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: v })),
    fc.constantFrom(
      { op: 'remove', path: 'name.givenName' },
      { op: 'remove', path: 'emails[type eq "home"]' },
      { op: 'remove', path: 'externalId' },
      { op: 'remove', path: 'members' },
    ),
    fc.array(memberRef, { maxLength: 3 }).map((v) => ({ op: 'add', path: 'members', value: v })),
    fc.array(memberRef, { maxLength: 3 }).map((v) => ({ op: 'replace', path: 'members', value: v })),
    fc.constantFrom(...memberIds()).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .array(plausible, { minLength: 1, maxLength: 4 })
        .map((ops) => JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: ops })),
    },
    {
      weight: 9,
      arbitrary: fc
        .record({
          schemas: fc.oneof(
            fc.constant<unknown>([PATCH_SCHEMA]),
            fc.constant<unknown>(MISSING),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          key: fc.constantFrom('Operations', 'Operations', 'operations', 'OPERATIONS'),
          operations: fc.oneof(
            { weight: 9, arbitrary: fc.array(operation, { maxLength: 6 }) },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
          ),
        })
        .map(({ schemas, key, operations }) =>
          JSON.stringify({ ...(schemas !== MISSING ? { schemas } : {}), [key]: operations }),
        ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  );
}

const IF_MATCH = [
  undefined,
  undefined,
  undefined,
  '*',
  'W/"1"',
  '"2"',
  'garbage',
  'W/"-1"',
  '"99999999999999999999"',
];

// --- generators: query parameters -----------------------------------------------------------------

const QUERY_KEYS = [
  'startIndex',
  'count',
  'sortBy',
  'sortOrder',
  'attributes',
  'excludedAttributes',
  'filter',
] as const;
const queryKey = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...QUERY_KEYS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'startindex',
      'COUNT',
      'count[]',
      'count[0]',
      'attributes[]',
      'sortBy[a]',
      '__proto__',
      'constructor',
      'hasOwnProperty',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const numberish = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: -10, max: 10 }).map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double().map(String),
  fc.constantFrom(
    '',
    ' ',
    '1e3',
    '0x1F',
    '١٢',
    ' 7 ',
    '+5',
    '--1',
    '999999999',
    '1000000000',
    '-999999999',
    '0',
    '-0',
    '00001',
    '1.0',
    'Infinity',
    'NaN',
    '1,2',
    '2147483648',
    '9007199254740993',
  ),
);
const attributeList = fc
  .array(
    fc.oneof(
      attrPath,
      fc.constantFrom(
        'emails.value',
        'name.givenName',
        'meta',
        'groups.display',
        'members.value',
        `${ENTERPRISE_SCHEMA}:manager.value`,
        `${SEAT_SCHEMA}:tier`,
        `${USER_SCHEMA}:name.givenName`,
        '',
        ' ',
        '.',
        '..',
        '__proto__',
        'constructor',
        'toString',
      ),
    ),
    { maxLength: 5 },
  )
  .map((a) => a.join(','));
const queryValue = fc.oneof(
  { weight: 4, arbitrary: numberish },
  { weight: 3, arbitrary: attributeList },
  { weight: 1, arbitrary: caseOf(['ascending', 'descending']) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: leafFilter },
);
/** Raw query text: percent escapes that are broken, overlong or decode to invalid UTF-8. */
const rawQueryText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%%',
        '%zz',
        '%0',
        '%00',
        '%ED%A0%80',
        '%C0%AE',
        '%FF',
        '+',
        '=',
        '&',
        ';',
        '[]',
        '[',
        ']',
      ),
      fc.stringMatching(/^[A-Za-z0-9]{1,4}$/),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

const queryPairs = fc.array(
  fc.tuple(queryKey, queryValue, fc.constantFrom('encoded', 'encoded', 'encoded', 'raw')),
  { maxLength: 6 },
);

function queryString(pairs: readonly (readonly [string, string, string])[]): string {
  const safe = (s: string, raw: boolean) =>
    raw ? s.replace(/#/g, '') : isWellFormed(s) ? encodeURIComponent(s) : '';
  return pairs.map(([k, v, mode]) => `${safe(k, mode === 'raw')}=${safe(v, mode === 'raw')}`).join('&');
}

// --- the tests -----------------------------------------------------------------------------------

describe('SCIM under hostile input (real server on 127.0.0.1)', () => {
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtExceptionMonitor', onUncaught);
    ctx = await setup('2026-03-01T10:00:00Z');
    orgA = (await createExample(ctx, { seats: { standard: 40, premium: 3 } })).organisation.id;
    orgB = (await createExample(ctx, { slug: 'globex', seats: { standard: 5, premium: 1 } })).organisation.id;
    tokenA = await scimToken(ctx, orgA);
    tokenB = await scimToken(ctx, orgB);
    const revoked = await ctx.c.scimTokens.create(orgA, 'revoked', OPERATOR);
    await ctx.c.scimTokens.revoke(orgA, revoked.record.id, OPERATOR);
    revokedToken = revoked.token;
    server = await listen(ctx);

    for (let i = 0; i < 6; i++) {
      usersA.push(
        await create(tokenA, 'Users', {
          schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
          userName: `seed${i}@acme.example`,
          externalId: `ext-${i}`,
          name: { givenName: `Seed${i}`, familyName: 'Example' },
          emails: [
            { value: `seed${i}@acme.example`, type: 'work', primary: true },
            { value: `seed${i}@home.example`, type: 'home' },
          ],
          phoneNumbers: [{ value: `+49 30 ${i}`, type: 'work' }],
          active: i !== 5,
          [ENTERPRISE_SCHEMA]: { department: 'R&D', manager: { value: 'someone' } },
        }),
      );
    }
    for (const [name, members] of [
      ['Engineering', usersA.slice(0, 3)],
      ['Sales', usersA.slice(3)],
      ['Empty', []],
    ] as const) {
      groupsA.push(
        await create(tokenA, 'Groups', { displayName: name, members: members.map((value) => ({ value })) }),
      );
    }
    for (let i = 0; i < 2; i++) {
      usersB.push(
        await create(tokenB, 'Users', {
          userName: `b${i}@globex.example`,
          emails: [{ value: `b${i}@globex.example`, primary: true }],
        }),
      );
    }
    groupsB.push(await create(tokenB, 'Groups', { displayName: 'Globex', members: [{ value: usersB[0]! }] }));
    snapshotB = await readB();
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtExceptionMonitor', onUncaught);
    await server?.close();
    await ctx?.cleanup();
  });

  // --- 1. filters ---------------------------------------------------------------------------------

  /** GET …?filter= (POST /.search when the URL would pass Node's header limit); 200 or 400 invalidFilter. */
  async function checkFilter(
    property: string,
    resource: 'Users' | 'Groups',
    text: string,
    viaSearch: boolean,
  ) {
    const query = `/${resource}?filter=${encodeURIComponent(text)}`;
    const req: Request =
      viaSearch || query.length > MAX_GET_URL
        ? {
            method: 'POST',
            path: `/${resource}/.search`,
            body: JSON.stringify({ schemas: [SEARCH_SCHEMA], filter: text }),
          }
        : { method: 'GET', path: query };
    const reply = await send(req);
    expectOutcome(property, req, reply, [200]);
    if (reply.status === 200) assertList(req, reply);
    else if (reply.status < 500) {
      assert.equal(reply.status, 400, show(req, reply));
      // An empty filter is no filter (text() reads "" as absent), so only real text gets here.
      assert.equal(assertScimError(req, reply).scimType, 'invalidFilter', show(req, reply));
    }
  }

  const resourceArb = fc.constantFrom('Users' as const, 'Groups' as const);

  test('When any text is sent as a filter, then the answer is 200 or 400 invalidFilter, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceArb,
        anyFilterText.filter(isWellFormed),
        fc.boolean(),
        (resource, text, search) => checkFilter('filter: any text', resource, text, search),
      ),
      runs(250),
    );
  });

  test('When a near-valid filter is sent (random attributes, URNs, operators, wrongly typed values, broken brackets), then the answer is 200 or 400 invalidFilter', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceArb,
        fc.oneof(nearValidFilter, mutated(nearValidFilter)).filter(isWellFormed),
        fc.boolean(),
        (resource, text, search) => checkFilter('filter: near-valid', resource, text, search),
      ),
      runs(300),
    );
  });

  test('When a filter nests deeply or is huge, then the answer is 200 or 400 invalidFilter, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceArb,
        fc.oneof(deepFilter, hugeFilter),
        fc.boolean(),
        (resource, text, search) => checkFilter('filter: deep or huge', resource, text, search),
      ),
      runs(150),
    );
  });

  test('When a well-formed filter over known attributes with correctly typed values is sent, then the answer is 200', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceArb.chain((r) => fc.tuple(fc.constant(r), validFilter(r))),
        fc.boolean(),
        async ([resource, text], search) => {
          const query = `/${resource}?filter=${encodeURIComponent(text)}`;
          const req: Request = search
            ? { method: 'POST', path: `/${resource}/.search`, body: JSON.stringify({ filter: text }) }
            : { method: 'GET', path: query };
          const reply = await send(req);
          expectOutcome('filter: valid', req, reply, [200]);
          assert.equal(reply.status, 200, show(req, reply));
          assertList(req, reply);
        },
      ),
      runs(200),
    );
  });

  test('When a filter is exactly MAX_FILTER_LENGTH long it is run, and one character longer it is 400 invalidFilter', async () => {
    for (const [length, status] of [
      [MAX_FILTER_LENGTH, 200],
      [MAX_FILTER_LENGTH + 1, 400],
    ] as const) {
      const text = `userName eq "${'x'.repeat(length - 'userName eq ""'.length)}"`;
      assert.equal(text.length, length);
      const req: Request = { method: 'GET', path: `/Users?filter=${encodeURIComponent(text)}` };
      const reply = await send(req);
      assert.equal(reply.status, status, show(req, reply));
      if (status === 400) assert.equal(assertScimError(req, reply).scimType, 'invalidFilter');
    }
  });

  test('When a GET URL is larger than Node’s 16 KiB request-head limit, then Node itself answers 431 (before any SCIM code, so without a SCIM body)', async () => {
    const req: Request = { method: 'GET', path: `/Users?filter=${'a'.repeat(20_000)}` };
    const reply = await send(req);
    assert.equal(reply.status, 431, show(req, reply));
  });

  // --- 2. bodies ----------------------------------------------------------------------------------

  const target = (kind: 'Users' | 'Groups') => fc.constantFrom(...(kind === 'Users' ? usersA : groupsA));

  async function checkBody(property: string, req: Request, ok: readonly number[]) {
    const reply = await send(req);
    expectOutcome(property, req, reply, ok);
    await consistent();
    return reply;
  }

  test('When POST or PUT carries any JSON value (fc.anything, fc.jsonValue), then the answer is 2xx or a 4xx SCIM Error and the seat counters stay consistent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST /Users', 'PUT /Users/:id', 'POST /Groups', 'PUT /Groups/:id'),
        fc.oneof(fc.jsonValue(), fc.anything()),
        fc.nat(),
        async (endpoint, value, pick) => {
          const [method, pattern] = endpoint.split(' ') as [string, string];
          const ids = pattern.startsWith('/Users') ? usersA : groupsA;
          const path = pattern.replace(':id', ids[pick % ids.length]!);
          const text = JSON.stringify(value) as string | undefined;
          await checkBody(
            'body: any JSON',
            { method, path, ...(text !== undefined ? { body: text } : {}) },
            [200, 201],
          );
        },
      ),
      runs(250),
    );
  });

  test('When a user or group has attributes of the wrong type or shape (userName a number, emails an object, active "maybe", name a list, 50 levels deep, Unicode addresses), then 2xx or a 4xx SCIM Error, and the counters stay consistent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ method: fc.constant('POST'), path: fc.constant('/Users'), body: userBody }),
          fc.record({
            method: fc.constant('PUT'),
            path: target('Users').map((id) => `/Users/${id}`),
            body: userBody,
          }),
          fc.record({
            method: fc.constant('POST'),
            path: fc.constant('/Groups'),
            body: groupBody(() => [...usersA, ...usersB]),
          }),
          fc.record({
            method: fc.constant('PUT'),
            path: target('Groups').map((id) => `/Groups/${id}`),
            body: groupBody(() => [...usersA, ...usersB]),
          }),
        ),
        fc.constantFrom(...IF_MATCH),
        async (req, ifMatch) => {
          await checkBody(
            'body: wrong types',
            {
              ...req,
              ...(ifMatch !== undefined && req.method === 'PUT' ? { headers: { 'if-match': ifMatch } } : {}),
            },
            [200, 201],
          );
        },
      ),
      runs(300),
    );
  });

  test('When the body is not JSON, or the Content-Type or Content-Encoding is wrong, then a 4xx SCIM Error (2xx only for a JSON body under a JSON type)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'POST /Users',
          'PUT /Users/:id',
          'POST /Groups',
          'PUT /Groups/:id',
          'PATCH /Users/:id',
          'PATCH /Groups/:id',
          'POST /Users/.search',
        ),
        fc.oneof(
          invalidJson,
          userBody,
          groupBody(() => usersA),
        ),
        fc.constantFrom(...CONTENT_TYPES),
        fc.constantFrom(...ENCODINGS),
        fc.nat(),
        async (endpoint, body, contentType, encoding, pick) => {
          const [method, pattern] = endpoint.split(' ') as [string, string];
          const ids = pattern.startsWith('/Users') ? usersA : groupsA;
          const path = pattern.replace(':id', ids[pick % ids.length]!);
          const headers: Record<string, string> = { 'content-type': contentType };
          if (encoding !== '') headers['content-encoding'] = encoding;
          const req: Request = { method, path, body, headers };
          // A JSON media type: body-parser is lenient about stray parameters, and reads an empty
          // body as {} (enough for a SearchRequest with defaults) whatever the encoding. A charset
          // other than UTF-8 is refused whatever the body (RFC 8259 §8.1).
          const jsonMedia = /^application\/(scim\+)?json\s*(;|$)/i.test(contentType);
          const utf8 = !/charset=(?!utf-8\s*(;|$))/i.test(contentType);
          let json = true;
          try {
            JSON.parse(body);
          } catch {
            json = false;
          }
          // A body that is itself a whole compressed stream of nothing (a lone 0x33 is an empty
          // Brotli stream, RFC 7932 §9.2) decodes to an empty body, which is read as {} too.
          const mayPass =
            jsonMedia &&
            utf8 &&
            (body === '' ||
              decodesToNothing(body, encoding) ||
              (json && utf8 && (encoding === '' || encoding === 'identity')));
          const reply = await checkBody('body: not JSON / wrong type', req, mayPass ? [200, 201, 204] : []);
          if (!mayPass) assert.ok(reply.status >= 400 && reply.status < 500, show(req, reply));
        },
      ),
      runs(250),
    );
  });

  test('When a body is larger than MAX_PAYLOAD (up to 2.2 MB, ASCII or multi-byte), then 413 SCIM Error; at exactly MAX_PAYLOAD bytes it is read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'POST /Users',
          'PUT /Users/:id',
          'POST /Groups',
          'PATCH /Users/:id',
          'PATCH /Groups/:id',
        ),
        fc.integer({ min: MAX_PAYLOAD + 1, max: 2_200_000 }),
        fc.constantFrom('a', 'é', '😀'),
        async (endpoint, bytes, char) => {
          const [method, pattern] = endpoint.split(' ') as [string, string];
          const path = pattern.replace(':id', (pattern.startsWith('/Users') ? usersA : groupsA)[0]!);
          const head = '{"userName":"big@acme.example","displayName":"';
          const tail = '"}';
          const fill = bytes - Buffer.byteLength(head + tail);
          const body = head + char.repeat(Math.ceil(fill / Buffer.byteLength(char))) + tail;
          assert.ok(Buffer.byteLength(body) > MAX_PAYLOAD);
          const req: Request = { method, path, body };
          const reply = await checkBody('body: oversized', req, []);
          assert.equal(reply.status, 413, show(req, reply));
        },
      ),
      runs(12),
    );
    // The limit itself is accepted: the body is read and judged (here: a group whose unknown
    // attribute is a string over MAX_STRING_LENGTH → 400). A User has its own, smaller limit
    // (MAX_USER_BYTES, checked before parsing): one byte over it is 413, at it the body is read.
    const head = '{"displayName":"exact","x":"';
    const body = head + 'a'.repeat(MAX_PAYLOAD - head.length - 2) + '"}';
    assert.equal(Buffer.byteLength(body), MAX_PAYLOAD);
    const req: Request = { method: 'POST', path: '/Groups', body };
    const reply = await send(req);
    assert.notEqual(reply.status, 413, show(req, reply));
    expectOutcome('body: oversized', req, reply, [201]);
    for (const [bytes, tooLarge] of [
      [MAX_USER_BYTES, false],
      [MAX_USER_BYTES + 1, true],
    ] as const) {
      const userHead = '{"userName":"exact@acme.example","x":"';
      const userBody = userHead + 'a'.repeat(bytes - userHead.length - 2) + '"}';
      assert.equal(Buffer.byteLength(userBody), bytes);
      const userReq: Request = { method: 'POST', path: '/Users', body: userBody };
      const userReply = await send(userReq);
      assert.equal(userReply.status === 413, tooLarge, show(userReq, userReply));
      expectOutcome('body: oversized', userReq, userReply, [201]);
    }
  });

  test('When JSON nests up to 300,000 levels (arrays, objects, under any attribute or operation), then 2xx or a 4xx SCIM Error, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300_000 }),
        fc.constantFrom('[', '{"a":', '[{"value":'),
        fc.constantFrom(
          'POST /Users',
          'PUT /Users/:id',
          'POST /Groups',
          'PATCH /Users/:id',
          'PATCH /Groups/:id',
        ),
        fc.constantFrom('x', 'emails', 'name', 'members', 'displayName', ENTERPRISE_SCHEMA),
        async (depth, opener, endpoint, attribute) => {
          const closer = opener === '[' ? ']' : opener === '{"a":' ? '}' : '}]';
          const levels = Math.min(depth, Math.floor((MAX_PAYLOAD - 200) / (opener.length + closer.length)));
          const deep = opener.repeat(levels) + '1' + closer.repeat(levels);
          const [method, pattern] = endpoint.split(' ') as [string, string];
          const path = pattern.replace(':id', (pattern.startsWith('/Users') ? usersA : groupsA)[1]!);
          const body =
            method === 'PATCH'
              ? `{"Operations":[{"op":"add","path":${JSON.stringify(attribute)},"value":${deep}}]}`
              : `{"userName":"deep${depth}@acme.example","displayName":"Deep ${depth}",${JSON.stringify(attribute)}:${deep}}`;
          await checkBody('body: deep nesting', { method, path, body }, [200, 201, 204]);
        },
      ),
      runs(20),
    );
  });

  // --- 3. PATCH -----------------------------------------------------------------------------------

  test('When PATCH carries random Operations (any op case, unknown ops, any path incl. value filters and URNs, any value, no value), then 2xx or a 4xx SCIM Error, and the counters stay consistent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          target('Users').map((id) => `/Users/${id}`),
          target('Groups').map((id) => `/Groups/${id}`),
        ),
        patchBody(() => [...usersA, ...usersB]),
        fc.constantFrom(...IF_MATCH),
        async (path, body, ifMatch) => {
          await checkBody(
            'patch: random operations',
            {
              method: 'PATCH',
              path,
              body,
              ...(ifMatch !== undefined ? { headers: { 'if-match': ifMatch } } : {}),
            },
            [200, 204],
          );
        },
      ),
      runs(300),
    );
  });

  test('When PATCH carries thousands of operations, then it is applied (at most 1000) or refused 400 tooMany', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          target('Users').map((id) => `/Users/${id}`),
          target('Groups').map((id) => `/Groups/${id}`),
        ),
        fc.oneof(fc.integer({ min: 995, max: 1005 }), fc.integer({ min: 1, max: 5000 })),
        fc.constantFrom(
          { op: 'replace', path: 'displayName', value: 'Many' },
          { op: 'add', path: 'emails', value: [{ value: 'many@acme.example', type: 'other' }] },
          { op: 'remove', path: 'emails[type eq "other"]' },
          { op: 'add', path: 'members', value: [] },
          { op: 'remove', path: 'members[value eq "nobody"]' },
          { op: 'Replace', value: { displayName: 'Many Again' } },
        ),
        async (path, n, op) => {
          const body = JSON.stringify({
            schemas: [PATCH_SCHEMA],
            Operations: Array.from({ length: n }, () => op),
          });
          const req: Request = { method: 'PATCH', path, body };
          const reply = await checkBody('patch: thousands', req, [200, 204]);
          if (n > 1000 && reply.status < 500) {
            assert.equal(reply.status, 400, show(req, reply));
            assert.equal(assertScimError(req, reply).scimType, 'tooMany', show(req, reply));
          }
        },
      ),
      runs(15),
    );
  });

  // --- 4. query parameters ------------------------------------------------------------------------

  test('When list query parameters are garbage (startIndex/count negative, huge, non-numeric, repeated; sortBy unknown; attributes garbage; raw broken escapes), then 200 or 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceArb,
        queryPairs,
        fc.option(rawQueryText, { nil: undefined }),
        async (resource, pairs, raw) => {
          const query = [queryString(pairs), raw].filter((s) => s !== undefined && s !== '').join('&');
          const req: Request = { method: 'GET', path: `/${resource}${query ? `?${query}` : ''}` };
          const reply = await send(req);
          expectOutcome('query: lists', req, reply, [200]);
          if (reply.status === 200) assertList(req, reply);
          else if (reply.status < 500) assert.equal(reply.status, 400, show(req, reply));
        },
      ),
      runs(300),
    );
  });

  test('When a SearchRequest (POST /.search) has parameters of any JSON type, then 200 or 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceArb,
        fc.dictionary(queryKey, fc.oneof(queryValue, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 6 }),
        fc.boolean(),
        async (resource, params, withSchemas) => {
          const body = JSON.stringify({ ...(withSchemas ? { schemas: [SEARCH_SCHEMA] } : {}), ...params });
          const req: Request = { method: 'POST', path: `/${resource}/.search`, body };
          const reply = await send(req);
          expectOutcome('query: .search', req, reply, [200]);
          if (reply.status === 200) assertList(req, reply);
          else if (reply.status < 500) assert.equal(reply.status, 400, show(req, reply));
        },
      ),
      runs(200),
    );
  });

  test('When GET of one user or group has garbage attributes/excludedAttributes or If-None-Match, then 200, 304 or 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          target('Users').map((id) => `/Users/${id}`),
          target('Groups').map((id) => `/Groups/${id}`),
        ),
        queryPairs,
        fc.option(fc.constantFrom('*', 'W/"1"', '"2", W/"3"', 'garbage', ',', 'W/"99999999999999999999"'), {
          nil: undefined,
        }),
        async (path, pairs, ifNoneMatch) => {
          const query = queryString(pairs);
          const req: Request = {
            method: 'GET',
            path: `${path}${query ? `?${query}` : ''}`,
            ...(ifNoneMatch !== undefined ? { headers: { 'if-none-match': ifNoneMatch } } : {}),
          };
          const reply = await send(req);
          expectOutcome('query: one resource', req, reply, [200, 304]);
          if (reply.status >= 400 && reply.status < 500) assert.equal(reply.status, 400, show(req, reply));
        },
      ),
      runs(150),
    );
  });

  test('When valid-looking PATCH and PUT requests race on the same users and groups (bursts of 5–30 at once), then each is 2xx or a 4xx SCIM Error and the counters stay consistent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              method: fc.constant('PATCH'),
              path: target('Users').map((id) => `/Users/${id}`),
              body: patchBody(() => usersA),
            }),
            fc.record({
              method: fc.constant('PATCH'),
              path: target('Groups').map((id) => `/Groups/${id}`),
              body: patchBody(() => usersA),
            }),
            fc.record({
              method: fc.constant('PUT'),
              path: target('Users').map((id) => `/Users/${id}`),
              body: userBody,
            }),
          ),
          { minLength: 5, maxLength: 30 },
        ),
        async (requests) => {
          const replies = await Promise.all(requests.map((req) => send(req)));
          requests.forEach((req, i) =>
            expectOutcome('patch: concurrent bursts', req, replies[i]!, [200, 204]),
          );
          await consistent();
        },
      ),
      runs(30),
    );
  });

  // --- 5. tenants, ids and tokens -----------------------------------------------------------------

  const validPut = (kind: 'Users' | 'Groups') =>
    kind === 'Users'
      ? JSON.stringify({ userName: 'intruder@acme.example', emails: [{ value: 'intruder@acme.example' }] })
      : JSON.stringify({ displayName: 'Intruders' });
  const validPatch = (kind: 'Users' | 'Groups') =>
    JSON.stringify({
      schemas: [PATCH_SCHEMA],
      Operations: [
        kind === 'Users'
          ? { op: 'replace', path: 'displayName', value: 'Intruder' }
          : { op: 'add', path: 'members', value: [{ value: usersA[0]! }] },
      ],
    });
  const methodArb = fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE');

  function byId(method: string, kind: 'Users' | 'Groups', id: string): Request {
    const path = `/${kind}/${encodeURIComponent(id)}`;
    if (method === 'PUT') return { method, path, body: validPut(kind) };
    if (method === 'PATCH') return { method, path, body: validPatch(kind) };
    return { method, path };
  }

  test('When organisation A’s token names organisation B’s users and groups (GET, PUT, PATCH, DELETE, filters, group members), then 404 / nothing found, and B is unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(methodArb, fc.constant('Users' as const), fc.constantFrom(...usersB)),
          fc.tuple(methodArb, fc.constant('Groups' as const), fc.constantFrom(...groupsB)),
        ),
        fc.constantFrom(...IF_MATCH),
        async ([method, kind, id], ifMatch) => {
          const base = byId(method, kind, id);
          const req: Request = {
            ...base,
            ...(ifMatch !== undefined ? { headers: { 'if-match': ifMatch } } : {}),
          };
          const reply = await send(req);
          expectOutcome('tenants: other organisation', req, reply, []);
          // Indistinguishable from an id that exists nowhere: same status, same kind of body. (An
          // unparseable If-Match is refused 412 before any lookup, for both alike.)
          const nowhere = byId(method, kind, randomUUID());
          const control = await send({ ...nowhere, ...(req.headers ? { headers: req.headers } : {}) });
          assert.equal(reply.status, control.status, `${show(req, reply)}\n  vs ${show(nowhere, control)}`);
          const parseable = ifMatch === undefined || /^(\*|(W\/)?"\d+")$/.test(ifMatch);
          if (parseable) assert.equal(reply.status, 404, show(req, reply));

          const search: Request = {
            method: 'GET',
            path: `/${kind}?filter=${encodeURIComponent(`id eq "${id}"`)}`,
          };
          const found = await send(search);
          assert.equal(found.status, 200, show(search, found));
          assert.equal(
            (JSON.parse(found.text) as { totalResults: number }).totalResults,
            0,
            show(search, found),
          );
        },
      ),
      runs(150),
    );
    for (const members of [[{ value: usersB[0]! }], [usersB[1]!]]) {
      const req: Request = {
        method: 'POST',
        path: '/Groups',
        body: JSON.stringify({ displayName: `Cross ${JSON.stringify(members)}`, members }),
      };
      const reply = await send(req);
      assert.equal(reply.status, 400, show(req, reply));
      assertScimError(req, reply);
    }
    assert.equal(await readB(), snapshotB, 'organisation B changed');
  });

  test('When any method meets any SCIM path (unsupported combinations, discovery with random ids), then 2xx or a 4xx SCIM Error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'),
        fc.oneof(
          fc.constantFrom(
            '',
            '/',
            '/Users',
            '/Users/.search',
            '/Groups/.search',
            '/Bulk',
            '/Me',
            '/ServiceProviderConfig',
            '/ResourceTypes',
            '/Schemas',
            `/Users/${usersA[0]!}/extra`,
            `/Schemas/${USER_SCHEMA}`,
          ),
          fc
            .tuple(
              fc.constantFrom(
                '/Schemas/',
                '/ResourceTypes/',
                '/ServiceProviderConfig/',
                '/Users/',
                '/Groups/',
              ),
              fc.oneof(
                fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
                fc.constantFrom('__proto__', 'constructor', 'toString', 'User', 'Group', USER_SCHEMA, 'urn:'),
              ),
            )
            .filter(([, id]) => id !== '.' && id !== '..' && isWellFormed(id))
            .map(([prefix, id]) => `${prefix}${encodeURIComponent(id)}`),
        ),
        fc.constantFrom(undefined, '{}', '{"schemas":[]}', 'not json'),
        async (method, path, body) => {
          const hasBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
          const req: Request = { method, path, ...(hasBody ? { body } : {}) };
          const reply = await send(req);
          if (method === 'HEAD') {
            // No body to judge: the status alone.
            count('methods and paths', reply.status);
            assert.ok(reply.status < 500, `5xx:\n  ${show(req, reply)}`);
          } else expectOutcome('methods and paths', req, reply, [200, 201, 204]);
        },
      ),
      runs(200),
    );
  });

  test('When an id is random (UUIDs, any text, injection attempts), then 404 SCIM Error for GET, PUT, PATCH and DELETE', async () => {
    const known = new Set([...usersA, ...groupsA, ...usersB, ...groupsB]);
    await fc.assert(
      fc.asyncProperty(
        methodArb,
        resourceArb,
        fc
          .oneof(
            fc.uuid(),
            fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
            fc.stringMatching(/^[0-9a-f]{32}$/),
            fc.constantFrom(
              '0',
              '-1',
              'null',
              'undefined',
              ' ',
              "' OR 1=1 --",
              '*',
              '%',
              '.search',
              '%00',
              'a/b',
              '\\',
            ),
          )
          .filter((id) => id !== '.' && id !== '..' && !known.has(id) && isWellFormed(id)),
        async (method, kind, id) => {
          const req = byId(method, kind, id);
          const reply = await send(req);
          expectOutcome('tenants: random ids', req, reply, []);
          assert.equal(reply.status, 404, show(req, reply));
        },
      ),
      runs(200),
    );
  });

  test('When the token is missing, garbled or revoked, then 401 SCIM Error with WWW-Authenticate, and nothing is changed', async () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 80,
    });
    const garbledToken = fc.oneof(
      fc.constant(revokedToken),
      fc.tuple(fc.nat(), fc.constantFrom('x', '-', '_', '0')).map(([i, c]) => {
        const at = i % tokenA.length;
        const changed = tokenA.slice(0, at) + (tokenA[at] === c ? 'y' : c) + tokenA.slice(at + 1);
        return changed;
      }),
      fc.nat().map((n) => tokenA.slice(0, n % tokenA.length)),
      fc.constant(`${tokenA}x`),
      fc.constant(tokenA.toUpperCase()),
      fc.stringMatching(/^skscim_[A-Za-z0-9_-]{43}$/),
      printable,
    );
    const authorization = fc.oneof(
      fc.constant(undefined),
      printable,
      fc
        .tuple(
          fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer', 'Basic ', 'Token ', 'Bearer: ', ''),
          garbledToken,
        )
        .map(([scheme, t]) => `${scheme}${t}`),
      fc.constant(`Bearer ${tokenA} ${tokenB}`),
      fc.constant(`Bearer ${revokedToken}`),
    );
    const valid = new RegExp(`^Bearer\\s+(${tokenA}|${tokenB})\\s*$`, 'i');
    const endpoints = () =>
      fc.constantFrom(
        { method: 'GET', path: '/Users' },
        { method: 'GET', path: '/Groups' },
        { method: 'GET', path: '/ServiceProviderConfig' },
        { method: 'GET', path: '/Schemas' },
        { method: 'GET', path: '/ResourceTypes/User' },
        { method: 'GET', path: `/Users/${usersA[0]!}` },
        { method: 'DELETE', path: `/Users/${usersA[2]!}` },
        { method: 'DELETE', path: `/Groups/${groupsA[0]!}` },
        { method: 'PUT', path: `/Users/${usersA[1]!}`, body: validPut('Users') },
        { method: 'PATCH', path: `/Groups/${groupsA[1]!}`, body: validPatch('Groups') },
        { method: 'POST', path: '/Users', body: JSON.stringify({ userName: 'ghost@acme.example' }) },
        { method: 'GET', path: '/Nowhere' },
      );
    await fc.assert(
      fc.asyncProperty(
        endpoints(),
        authorization.filter((a) => a === undefined || (!valid.test(a.trim()) && !/[\r\n]/.test(a))),
        async (endpoint, auth) => {
          const req: Request = {
            ...endpoint,
            ...(auth === undefined ? { token: null } : { authorization: auth }),
          };
          const reply = await send(req);
          expectOutcome('tenants: tokens', req, reply, []);
          assert.equal(reply.status, 401, show(req, reply));
          assert.match(reply.wwwAuthenticate ?? '', /^Bearer /, show(req, reply));
        },
      ),
      runs(200),
    );
    // Nothing a refused caller sent took effect.
    for (const [kind, id] of [
      ['Users', usersA[2]!],
      ['Groups', groupsA[0]!],
    ] as const) {
      const req: Request = { method: 'GET', path: `/${kind}/${id}` };
      const reply = await send(req);
      assert.equal(reply.status, 200, show(req, reply));
    }
    const ghost: Request = {
      method: 'GET',
      path: `/Users?filter=${encodeURIComponent('userName eq "ghost@acme.example"')}`,
    };
    const ghostReply = await send(ghost);
    assert.equal(
      (JSON.parse(ghostReply.text) as { totalResults: number }).totalResults,
      0,
      show(ghost, ghostReply),
    );
  });

  // --- 6. afterwards ------------------------------------------------------------------------------

  test('When every property has run, then /healthz answers 200, nothing was rejected unhandled or thrown uncaught, and the counters and organisation B are intact', async () => {
    const t = perTest();
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', database: 'ok' });
    assert.deepEqual(unhandled, [], 'unhandled promise rejections');
    assert.deepEqual(uncaught, [], 'uncaught exceptions');
    await consistent();
    assert.equal(await readB(), snapshotB, 'organisation B changed');
    for (const [property, byStatus] of stats) {
      const statuses = [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
      t.diagnostic(`${property}: ${statuses.join(' ')}`);
    }
    for (const [id, n] of knownHits) t.diagnostic(`known bug hit ${n}× (tolerated): ${id}`);
  });
});

// --- regression tests for what the properties found ----------------------------------------------

describe('SCIM hostile-input regressions (shrunk counterexamples)', () => {
  let local: TestContext;
  let localServer: RunningServer;
  let token: string;
  let org: number;

  beforeAll(async () => {
    local = await setup('2026-03-01T10:00:00Z');
    org = (await createExample(local, { seats: { standard: 10, premium: 1 } })).organisation.id;
    token = await scimToken(local, org);
    localServer = await listen(local);
  });
  afterAll(async () => {
    await localServer?.close();
    await local?.cleanup();
  });

  async function post(path: string, body: unknown): Promise<Reply> {
    const res = await fetch(`${localServer.url}/scim/v2${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      wwwAuthenticate: res.headers.get('www-authenticate'),
      text: await res.text(),
    };
  }

  // Found while this file was written (reading the key folds, then confirmed over HTTP; the body
  // properties' email generator covers it since): members.insert() wrote
  // email_key = email.toLowerCase() (full Unicode) under CHECK (email_key = lower(email)), and
  // SQLite's lower() folds ASCII only, so the CHECK failed; db/sqlite/errors.ts does not translate
  // SQLITE_CONSTRAINT_CHECK, so the answer was 500 "Internal server error." Since fixed in the
  // working tree (domain/fold.ts: one application-side fold for every key); kept as a regression.
  test('When a user is created whose email address has a non-ASCII capital letter (userName "Ä@acme.example"), then it is created or refused with a 4xx SCIM Error, not a 500', async () => {
    for (const body of [
      { userName: 'Ä@acme.example' },
      { userName: 'plain', emails: [{ value: 'Ä@acme.example' }] },
      { userName: 'İ@acme.example' },
      { userName: 'Σ@ACME.example' },
    ]) {
      const req: Request = { method: 'POST', path: '/Users', body: JSON.stringify(body) };
      const reply = await post('/Users', body);
      assert.ok(reply.status < 500, show(req, reply));
      if (reply.status !== 201) assertScimError(req, reply);
    }
    assert.ok(await heldMatchesMembers(local, org));
  });
});
