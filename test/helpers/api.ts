// The admin API world: the example organisation with one seated member of every role, each with a
// console session, and request builders that send the session cookie and anti-forgery token the
// way the console does (or an API token the way a script does).
import request from 'supertest';
import type { Response, Test } from 'supertest';
import { csrfToken, SESSION_COOKIE } from '../../api/auth.js';
import { API_PATH } from '../../api/router.js';
import { allRoutes } from '../../api/routes.js';
import { HIGHEST, OPERATOR, type Role } from '../../domain/model.js';
import { createExample, setup, testApp, type TestContext } from './fixtures.js';
import { validateResponses, type ResponseValidator } from './openapi-responses.js';
import { inspect } from './inspect.js';

export interface Caller {
  readonly memberId: number;
  readonly email: string;
  get(path: string): Test;
  post(path: string, body?: unknown): Test;
  put(path: string, body?: unknown): Test;
  patch(path: string, body?: unknown): Test;
  delete(path: string): Test;
}

export interface ApiWorld extends TestContext {
  readonly organisationId: number;
  readonly app: ReturnType<typeof testApp>;
  /** A seated member of each role, signed in to the console. */
  readonly as: Readonly<Record<Role, Caller>>;
  /** A caller presenting `Authorization: Bearer <token>`. */
  withToken(token: string): Omit<Caller, 'memberId' | 'email'>;
  /** A new signed-in session for a member. */
  signedIn(memberId: number): Promise<Caller>;
  /** Every answer is checked against the OpenAPI document (openapi-responses.ts); cleanup fails on a mismatch. */
  readonly responses: ResponseValidator;
}

type Verb = 'get' | 'post' | 'put' | 'patch' | 'delete';

function caller(app: ApiWorld['app'], headers: Readonly<Record<string, string>>) {
  const send = (verb: Verb, path: string, body?: unknown) => {
    let r = request(app)[verb](`${API_PATH}${path}`);
    for (const [name, value] of Object.entries(headers)) r = r.set(name, value);
    return body === undefined ? r : r.send(body as object);
  };
  return {
    get: (path: string) => send('get', path),
    post: (path: string, body?: unknown) => send('post', path, body),
    put: (path: string, body?: unknown) => send('put', path, body),
    patch: (path: string, body?: unknown) => send('patch', path, body),
    delete: (path: string) => send('delete', path),
  };
}

/**
 * The example organisation (clock at `now`) with a seated primary owner, owner, admin and user.
 * `options.mail` sends mail through an SMTP server (test/helpers/smtp.ts); `options.publicBaseUrl`
 * is where the app's links point.
 */
export async function apiWorld(
  now = '2026-03-01T09:00:00Z',
  options: Parameters<typeof setup>[1] = {},
): Promise<ApiWorld> {
  const ctx = await setup(now, options);
  const { organisation, primaryOwner } = await createExample(ctx);
  const organisationId = organisation.id;
  await ctx.c.seats.acceptInvitation(organisationId, primaryOwner.id, OPERATOR);
  const ids: Record<Role, number> = { primary_owner: primaryOwner.id, owner: 0, admin: 0, user: 0 };
  for (const role of ['owner', 'admin', 'user'] as const) {
    ids[role] = (
      await ctx.c.members.admit(
        organisationId,
        {
          email: `${role === 'owner' ? 'co-owner' : role}@acme.example`,
          displayName: `${role[0]!.toUpperCase()}${role.slice(1)} Person`,
          role,
        },
        'manual',
        HIGHEST,
        OPERATOR,
      )
    ).id;
  }
  const publicBaseUrl = options.publicBaseUrl ?? 'http://127.0.0.1';
  const { app, validator } = validateResponses(
    testApp(ctx, options.publicBaseUrl ? { publicBaseUrl } : {}),
    allRoutes({ ...ctx.c, ...ctx.c.linking(publicBaseUrl), publicBaseUrl }),
  );
  const emails = new Map(
    (await inspect(ctx.c.store).members(organisationId)).map((m) => [m.id, m.email] as const),
  );

  async function signedIn(memberId: number): Promise<Caller> {
    const { secret } = await ctx.c.sessions.start(organisationId, memberId);
    return {
      memberId,
      email: emails.get(memberId) ?? '',
      ...caller(app, { cookie: `${SESSION_COOKIE}=${secret}`, 'x-csrf-token': csrfToken(secret) }),
    };
  }

  return {
    ...ctx,
    async cleanup() {
      await ctx.cleanup();
      validator.assertNone();
    },
    responses: validator,
    organisationId,
    app,
    as: {
      primary_owner: await signedIn(ids.primary_owner),
      owner: await signedIn(ids.owner),
      admin: await signedIn(ids.admin),
      user: await signedIn(ids.user),
    },
    withToken: (token) => caller(app, { authorization: `Bearer ${token}` }),
    signedIn,
  };
}

/** Asserts nothing about the body beyond its being a problem; returns it for closer checks. */
export function problem(res: Response): {
  status: number;
  code: string;
  detail?: string;
  [k: string]: unknown;
} {
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected a problem, got ${res.status} ${res.headers['content-type']}: ${res.text}`);
  }
  return res.body as { status: number; code: string };
}

/** `name=value` of the console session cookie a response sets; fails when it sets none. */
export function sessionCookie(res: Response): string {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const session = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!session) throw new Error(`no session cookie in ${JSON.stringify(cookies)}`);
  return session.split(';')[0]!;
}

/** The JSON pointers of a 400's field errors, sorted. */
export function pointers(res: { body: unknown }): string[] {
  return ((res.body as { errors?: { pointer: string }[] }).errors ?? []).map((e) => e.pointer).sort();
}

/** The operator buys `add` more seats per tier for the world's organisation (quote, then confirm). */
export async function buy(w: ApiWorld, add: Record<string, number>): Promise<void> {
  const quote = await w.c.billing.quote(w.organisationId, { add }, OPERATOR);
  await w.c.billing.confirm(w.organisationId, quote.id, OPERATOR);
}
