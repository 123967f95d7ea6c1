// Sends the providers' requests (requests.ts) to a real listening server, and asserts in the
// protocol's and the seat pool's own terms.
import assert from './assert.js';
import {
  createExample,
  heldMatchesMembers,
  listen,
  scimToken,
  setup,
  type RunningServer,
  type TestContext,
} from './fixtures.js';
import { ERROR_SCHEMA, SEATKEEPER, type ScimRequest } from './scim-requests.js';

export interface ScimResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body, or undefined when empty. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface ScimClient {
  send(request: ScimRequest, headers?: Record<string, string>): Promise<ScimResponse>;
}

/** A client for one bearer token (or, with `authorization`, the header exactly as given). */
export function scimClient(server: RunningServer, token: string | { authorization?: string }): ScimClient {
  const authorization = typeof token === 'string' ? `Bearer ${token}` : token.authorization;
  return {
    async send(request, headers = {}) {
      const res = await fetch(`${server.url}/scim/v2${request.path}`, {
        method: request.method,
        headers: {
          ...(authorization !== undefined ? { authorization } : {}),
          ...(request.body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
          accept: 'application/scim+json',
          ...headers,
        },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
    },
  };
}

/** The response has `status`; on a mismatch the message shows the body, which says why. */
export function expectStatus(res: ScimResponse, status: number): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/);
}

/** A SCIM Error (RFC 7644 §3.12): the status as a string, the Error schema, a detail. */
export function expectScimError(res: ScimResponse, status: number, detail?: RegExp): void {
  expectStatus(res, status);
  assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
  assert.equal(res.body.status, String(status));
  assert.equal(typeof res.body.detail, 'string');
  if (detail) assert.match(res.body.detail, detail);
}

/** An empty ListResponse with integer counters. */
export function expectEmptyList(res: ScimResponse): void {
  expectStatus(res, 200);
  assert.equal(res.body.totalResults, 0);
  assert.deepEqual(res.body.Resources, []);
}

/** The user's seat as our extension shows it. */
export function seatOf(user: { [key: string]: unknown }): { seatState: string; tier?: string; role: string } {
  return user[SEATKEEPER] as { seatState: string; tier?: string; role: string };
}

export interface TierCount {
  readonly held: number;
  readonly seated: number;
}

/** held/seated per tier, from the seat pool service. */
export async function seatCounts(
  ctx: TestContext,
  organisationId: number,
): Promise<Record<string, TierCount>> {
  return Object.fromEntries(
    (await ctx.c.seats.usage(organisationId)).map((t) => [t.tierId, { held: t.held, seated: t.seated }]),
  );
}

/**
 * The pool, read through the services, is exactly `expected` (tiers not named: nothing held), and
 * its counters agree with the member rows.
 */
export async function expectSeats(
  ctx: TestContext,
  organisationId: number,
  expected: Partial<Record<'standard' | 'premium', TierCount>>,
  step = '',
): Promise<void> {
  const actual = await seatCounts(ctx, organisationId);
  const want = Object.fromEntries(
    Object.keys(actual).map((tier) => [
      tier,
      expected[tier as 'standard' | 'premium'] ?? { held: 0, seated: 0 },
    ]),
  );
  assert.deepEqual(actual, want, `seat counts ${step}`);
  assert.ok(await heldMatchesMembers(ctx, organisationId), `pool counters match member rows ${step}`);
}

/** The `value` of each entry of a reference list (a group's members, a user's groups), sorted. */
export function refValues(list: unknown): string[] {
  return ((list ?? []) as { value: string }[]).map((m) => m.value).sort();
}

/** A ListResponse's resources. */
export function resourcesOf<T = { id: string; [key: string]: unknown }>(res: ScimResponse): T[] {
  return (res.body?.Resources ?? []) as T[];
}

export interface World {
  ctx: TestContext;
  server: RunningServer;
  scim: ScimClient;
  orgId: number;
  /** The SCIM bearer token the client sends. */
  token: string;
}

/**
 * Starts an organisation inside its term (1 March 2026) with `seats` (the example contract's when
 * not given), a server listening on 127.0.0.1 (with `server` settings such as a SCIM rate limit),
 * and a SCIM client with a token of the organisation.
 */
export async function world(
  seats?: { standard: number; premium: number },
  server: Parameters<typeof listen>[1] = {},
): Promise<World> {
  const ctx = await setup('2026-03-01T10:00:00Z');
  const { organisation } = await createExample(ctx, seats ? { seats } : {});
  const running = await listen(ctx, server);
  const token = await scimToken(ctx, organisation.id);
  return { ctx, server: running, orgId: organisation.id, token, scim: scimClient(running, token) };
}

export async function close(w: World): Promise<void> {
  await w.server.close();
  await w.ctx.cleanup();
}
