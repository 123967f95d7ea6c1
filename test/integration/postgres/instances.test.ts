// Several server processes (the real entry point, server/main.ts) on one PostgreSQL database, as
// instances behind a load balancer are: together they never give out more seats than the pool has,
// every 201 is a stored, seated member, a killed instance loses nothing it answered for, and a
// webhook delivery or a mail leased by a killed process is made by an instance once the lease
// ends, once. The mail lease of an instance outlasts the longest SMTP conversation (minutes), so
// the process killed holding a mail is the real container with a short lease
// (test/helpers/processes/pg-mail-leaser.ts); the webhook lease (25 s) is the instances' own.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import pg from 'pg';
import { perTest, type PerTest } from '../../helpers/per-test.js';
import { tempDir } from '../../helpers/fixtures.js';
import { startPostgres, type PostgresCluster } from '../../helpers/postgres.js';
import { startSamlIdp } from '../../helpers/saml-idp.js';
import { oktaUserBody } from '../../helpers/scim-requests.js';
import { startSmtp } from '../../helpers/smtp.js';
import type { LeaserMessage } from '../../helpers/processes/pg-mail-leaser.js';
import { cliWithEnv, startServer, type ServerProcess } from '../../helpers/server-main-process.js';

/** Refusal detail of a SCIM create for want of a seat, as the SQLite tests assert it. */
const SEAT_LIMIT_DETAIL =
  /Organisation "acme" has no available seat.*every seat bought is held.*An owner must add seats.*recorded in the organisation's waiting list/s;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const LEASER = fileURLToPath(new URL('../../helpers/processes/pg-mail-leaser.ts', import.meta.url));
const EMAIL_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Deployment {
  /** What every instance and every CLI run is given: one database, one secrets key. */
  readonly env: Record<string, string>;
  readonly databaseUrl: string;
  /** A temporary directory of the test's (DATA_DIR of every instance). */
  readonly dir: string;
  cli(...args: string[]): { status: number | null; json: unknown; stderr: string };
  /** Starts one more instance of server/main.ts on the database; stopped when the test ends. */
  start(extra?: Record<string, string>): Promise<ServerProcess>;
  /** A query on the database through a connection of its own. */
  query<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
}

let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(() => {
  cluster?.stop();
});

/** A new database on the cluster, a key for the secrets, and a way to start instances on them. */
function deployment(t: PerTest): Deployment {
  const databaseUrl = cluster.createDatabase(`instances_${randomBytes(5).toString('hex')}`);
  const dir = tempDir('seatkeeper-pg-instances-');
  // SECRETS_KEY as an operator sets it for several instances: base64 of 32 random bytes, the same
  // for all, so a secret one instance sealed the others can open.
  const env = {
    DATABASE_URL: databaseUrl,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: dir,
    DATABASE_POOL_SIZE: '10',
  };
  const servers: ServerProcess[] = [];
  const client = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  t.after(async () => {
    for (const s of servers)
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited.catch(() => undefined)));
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    env,
    databaseUrl,
    dir,
    cli: (...args) => cliWithEnv(env, ...args),
    async start(extra = {}) {
      const server = await startServer({ ...env, ...extra });
      servers.push(server);
      return server;
    },
    async query<R extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
      return (await client.query<R>(text, params)).rows;
    },
  };
}

/** Organisation "acme", its term starting today, with `seats` standard seats; made with the CLI. */
function createOrganisation(d: Deployment, seats: number): void {
  const today = new Date().toISOString().slice(0, 10);
  const created = d.cli(
    ...['org', 'create', '--slug', 'acme', '--name', 'Acme', '--domain', 'acme.example'],
    ...['--term-start', today, '--time-zone', 'UTC', '--currency', 'EUR'],
    ...['--price', 'standard=50', '--price', 'premium=150', '--seats', `standard=${seats}`],
    ...['--owner-email', 'owner@acme.example'],
  );
  assert.equal(created.status, 0, `org create: ${created.stderr}`);
}

function scimToken(d: Deployment): string {
  const token = d.cli('scim-token', 'create', 'acme', '--name', 'directory');
  assert.equal(token.status, 0, `scim-token create: ${token.stderr}`);
  return (token.json as { token: string }).token;
}

interface TierRow {
  tier_id: string;
  allocation: number;
  held: number;
  /** Member rows holding a seat of the tier (seated or invited). */
  holding: number;
  seated: number;
  invited: number;
}

/** The pool read against the member rows, straight from the database. */
async function poolState(d: Deployment): Promise<TierRow[]> {
  return await d.query<TierRow>(
    `SELECT p.tier_id, p.allocation::int AS allocation, p.held::int AS held,
       (SELECT count(*) FROM members m WHERE m.organisation_id = p.organisation_id AND m.tier_id = p.tier_id
          AND m.seat_state IN ('seated', 'invited'))::int AS holding,
       (SELECT count(*) FROM members m WHERE m.organisation_id = p.organisation_id AND m.tier_id = p.tier_id
          AND m.seat_state = 'seated')::int AS seated,
       (SELECT count(*) FROM members m WHERE m.organisation_id = p.organisation_id AND m.tier_id = p.tier_id
          AND m.seat_state = 'invited')::int AS invited
     FROM seat_pools p JOIN organisations o ON o.id = p.organisation_id
     WHERE o.slug = 'acme' ORDER BY p.tier_id`,
  );
}

/** Member rows with the role user: every one that came by SCIM or by a first sign-in. */
async function userCount(d: Deployment): Promise<number> {
  const rows = await d.query<{ users: number }>(
    "SELECT count(*)::int AS users FROM members WHERE role = 'user'",
  );
  return rows[0]?.users ?? 0;
}

/** The standard tier as `seatkeeper org show` reports it. */
function shownStandard(d: Deployment): { held: number; seated: number; invited: number; available: number } {
  const shown = d.cli('org', 'show', 'acme');
  assert.equal(shown.status, 0, `org show: ${shown.stderr}`);
  type Shown = { id: string; held: number; seated: number; invited: number; available: number };
  const standard = (shown.json as { tiers: Shown[] }).tiers.find((tier) => tier.id === 'standard');
  assert.ok(standard, `org show lists the standard tier: ${JSON.stringify(shown.json)}`);
  return standard;
}

interface CreateResult {
  readonly userName: string;
  readonly server: number;
  /** null: no answer (the connection broke). */
  readonly status: number | null;
  readonly body: {
    schemas?: string[];
    status?: string;
    detail?: string;
    scimType?: string;
    id?: string;
  } | null;
}

/** POST /scim/v2/Users as Okta sends it. */
async function scimCreate(
  server: ServerProcess,
  index: number,
  token: string,
  userName: string,
): Promise<CreateResult> {
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify(oktaUserBody(userName)),
    });
    const text = await res.text();
    let body: CreateResult['body'] = null;
    try {
      body = JSON.parse(text) as CreateResult['body'];
    } catch {
      body = { detail: text };
    }
    return { userName, server: index, status: res.status, body };
  } catch {
    return { userName, server: index, status: null, body: null };
  }
}

/** Checks a refusal is the 403 for want of a seat, as the SQLite tests check it. */
function assertSeatRefusal(r: CreateResult): void {
  assert.equal(r.status, 403, `${r.userName} on instance ${r.server}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body?.schemas, [ERROR_SCHEMA]);
  assert.equal(r.body?.status, '403');
  assert.equal(r.body?.scimType, undefined, 'RFC 7644 has no quota scimType');
  assert.match(r.body?.detail ?? '', SEAT_LIMIT_DETAIL);
}

/** Seat state of each directory user by userName, straight from the database. */
async function storedSeatStates(d: Deployment, userNames: readonly string[]): Promise<Map<string, string>> {
  const rows = await d.query<{ user_name: string; seat_state: string }>(
    `SELECT lower(m.user_name) AS user_name, m.seat_state
       FROM members m JOIN organisations o ON o.id = m.organisation_id
      WHERE o.slug = 'acme' AND lower(m.user_name) = ANY($1::text[])`,
    [userNames.map((u) => u.toLowerCase())],
  );
  return new Map(rows.map((r) => [r.user_name, r.seat_state]));
}

describe('Three instances on one PostgreSQL database', () => {
  test('When 300 SCIM creates race for 50 free seats over three instances, then exactly 50 are 201 and seated, 250 are refused with 403, and the pool is exact', async () => {
    const t = perTest();
    const d = deployment(t);
    // 51 seats: the primary owner's invitation holds one, so 50 are free.
    createOrganisation(d, 51);
    const token = scimToken(d);
    const servers = await Promise.all([d.start(), d.start(), d.start()]);
    assert.equal(new Set(servers.map((s) => s.port)).size, 3, 'three instances, three ports');

    const attempts = 300;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        scimCreate(servers[i % 3]!, i % 3, token, `racer${i}@acme.example`),
      ),
    );
    t.diagnostic(`${attempts} creates in ${Date.now() - started} ms`);
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    const byStatus = JSON.stringify(
      Object.fromEntries(
        [...new Set(results.map((r) => r.status))].map((s) => [
          s,
          results.filter((r) => r.status === s).length,
        ]),
      ),
    );
    assert.equal(
      created.length,
      50,
      `statuses: ${byStatus}; first other: ${JSON.stringify(refused.find((r) => r.status !== 403))}`,
    );
    assert.equal(refused.length, 250);
    for (const r of refused) assertSeatRefusal(r);
    assert.equal(new Set(results.map((r) => r.server)).size, 3);
    assert.equal(new Set(created.map((r) => r.server)).size, 3, 'every instance gave out seats');

    // What the database holds, read by a connection of its own: the pool is full, never over.
    assert.deepEqual(
      (await poolState(d)).map((p) => [p.tier_id, p.allocation, p.held, p.holding, p.seated, p.invited]),
      [
        ['premium', 0, 0, 0, 0, 0],
        ['standard', 51, 51, 51, 50, 1],
      ],
      'per tier: allocation, held, member rows holding a seat, seated, invited',
    );
    const states = await storedSeatStates(
      d,
      created.map((r) => r.userName),
    );
    assert.equal(states.size, 50, 'every 201 is a stored directory user');
    assert.deepEqual(new Set(states.values()), new Set(['seated']));
    const users = await userCount(d);
    assert.equal(users, 50, 'no member row for a refused create');
    // The operator's view agrees.
    const shown = shownStandard(d);
    assert.deepEqual([shown.held, shown.seated, shown.invited, shown.available], [51, 50, 1, 0]);
    const waiting = d.cli('waiting', 'acme');
    assert.equal(waiting.status, 0, waiting.stderr);
    assert.equal(
      (waiting.json as { refused: unknown[] }).refused.length,
      250,
      'every refusal is on the waiting list',
    );
  });

  test('When 200 people sign in for the first time at once over three instances against 50 free seats, then exactly 50 accounts are created and seated, and 150 see the no-seat page', async () => {
    const t = perTest();
    const d = deployment(t);
    createOrganisation(d, 51);
    const jit = d.cli('org', 'set', 'acme', '--provisioning-mode', 'jit');
    assert.equal(jit.status, 0, jit.stderr);
    // One public address for the three instances, as behind a load balancer: the connection's
    // entity id and ACS are below it, whichever instance answers.
    const publicBaseUrl = 'http://seatkeeper.test';
    const idp = startSamlIdp({
      spMetadata: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="placeholder"><SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${publicBaseUrl}/placeholder" index="0"/></SPSSODescriptor></EntityDescriptor>`,
      now: () => DateTime.now(),
    });
    t.after(() => idp.close());
    const certFile = join(d.dir, 'idp.pem');
    writeFileSync(certFile, idp.certPem);
    const added = d.cli(
      ...['sso', 'add-saml', 'acme', '--name', 'Acme SAML'],
      ...['--entity-id', idp.entityId, '--sso-url', idp.ssoUrl, '--cert', certFile],
    );
    assert.equal(added.status, 0, `sso add-saml: ${added.stderr}`);
    const spEntityId = `${publicBaseUrl}/sso/saml/${(added.json as { publicId: string }).publicId}`;
    const acsPath = new URL(`${spEntityId}/acs`).pathname;
    const servers = await Promise.all([0, 1, 2].map(() => d.start({ PUBLIC_BASE_URL: publicBaseUrl })));
    const base = (s: number) => `http://127.0.0.1:${servers[s]!.port}`;

    // Each person starts on one instance and the browser posts the IdP's answer to the next one:
    // the sign-in's state is in the database, not in the instance.
    const people = 200;
    const responses = [];
    for (let i = 0; i < people; i++) {
      const started = await fetch(`${base(i % 3)}/sso/start?org=acme`, { redirect: 'manual' });
      assert.equal(started.status, 303, await started.text());
      responses.push(
        await idp.respond(
          started.headers.get('location')!,
          { nameId: `rush${i}-id`, attributes: { [EMAIL_CLAIM]: `rush${i}@acme.example` } },
          { audience: spEntityId, recipient: `${spEntityId}/acs`, destination: `${spEntityId}/acs` },
        ),
      );
    }
    const results = await Promise.all(
      responses.map(async (form, i) => {
        const res = await fetch(`${base((i + 1) % 3)}${acsPath}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        });
        return {
          email: `rush${i}@acme.example`,
          status: res.status,
          signedIn: res.headers.getSetCookie().some((c) => c.startsWith('seatkeeper_session=')),
          text: await res.text(),
        };
      }),
    );
    const statuses = results.map((r) => r.status);
    const other = results.find((r) => r.status !== 303 && r.status !== 403);
    assert.equal(other, undefined, `no answer but 303 or 403: ${JSON.stringify(other)}`);
    const signedIn = results.filter((r) => r.status === 303);
    assert.equal(
      signedIn.length,
      50,
      `303: ${signedIn.length}, 403: ${statuses.filter((s) => s === 403).length}`,
    );
    assert.equal(statuses.filter((s) => s === 403).length, 150);
    assert.ok(
      signedIn.every((r) => r.signedIn),
      'every 303 carries a session',
    );
    const refused = results.filter((r) => r.status === 403);
    assert.ok(
      refused.every((r) => /no_seats/.test(r.text) && !r.signedIn),
      'every refusal is the no-seat page, without a session',
    );

    const rows = await d.query<{ email: string; seat_state: string; tier_id: string; role: string }>(
      "SELECT email, seat_state, tier_id, role FROM members WHERE email LIKE 'rush%' ORDER BY email",
    );
    assert.deepEqual(
      rows.map((r) => r.email),
      signedIn.map((r) => r.email).sort(),
      'an account for each one signed in, none for a refused one',
    );
    assert.ok(rows.every((r) => r.seat_state === 'seated' && r.tier_id === 'standard' && r.role === 'user'));
    assert.deepEqual(
      (await poolState(d)).map((p) => [p.tier_id, p.allocation, p.held, p.holding, p.seated, p.invited]),
      [
        ['premium', 0, 0, 0, 0, 0],
        ['standard', 51, 51, 51, 50, 1],
      ],
    );
    const shown = shownStandard(d);
    assert.deepEqual([shown.held, shown.seated, shown.available], [51, 50, 0]);
  });

  test('When one instance is killed with SIGKILL in the middle of a SCIM create load, then every 201 is stored and seated, held equals the seated members, and the other two keep serving', async () => {
    const t = perTest();
    const d = deployment(t);
    // 151 seats, 150 free: more than the load takes before the kill, fewer than it asks for.
    createOrganisation(d, 151);
    const token = scimToken(d);
    const servers = await Promise.all([d.start(), d.start(), d.start()]);
    const victim = servers[1];
    const victimExited = new Promise<NodeJS.Signals | null>((resolve) =>
      victim.child.once('exit', (_code, signal) => resolve(signal)),
    );

    const attempts = 300;
    const inFlight = 30;
    const killAfter = 60;
    const results: CreateResult[] = [];
    let next = 0;
    let killedAt = -1;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < attempts) {
          const i = next++;
          // Round-robin while all three serve; after the kill the load goes to the survivors only,
          // as a load balancer takes a dead instance out.
          const s = killedAt === -1 ? i % 3 : [0, 2][i % 2]!;
          const r = await scimCreate(servers[s]!, s, token, `load${i}@acme.example`);
          results.push(r);
          if (killedAt === -1 && results.length >= killAfter) {
            killedAt = results.length;
            victim.child.kill('SIGKILL');
          }
        }
      }),
    );
    assert.equal(await victimExited, 'SIGKILL', 'the instance was killed, not stopped');
    const created = results.filter((r) => r.status === 201);
    const unanswered = results.filter((r) => r.status === null);
    const refused = results.filter((r) => r.status !== 201 && r.status !== null);
    t.diagnostic(
      `killed after ${killedAt} answers: ${created.length} created, ${refused.length} refused, ${unanswered.length} cut off by the kill`,
    );
    assert.ok(
      created.some((r) => r.server === 1),
      'the killed instance had answered creates before the kill',
    );
    assert.ok(unanswered.length > 0, 'the kill cut off creates in flight');
    assert.ok(
      unanswered.every((r) => r.server === 1),
      `only the killed instance left creates unanswered: ${JSON.stringify(unanswered.filter((r) => r.server !== 1))}`,
    );
    for (const r of refused) assertSeatRefusal(r);

    // Every 201 is stored and seated, whichever instance gave it, the killed one included.
    const states = await storedSeatStates(
      d,
      created.map((r) => r.userName),
    );
    assert.equal(states.size, created.length, 'every 201 is a stored directory user');
    assert.deepEqual(new Set(states.values()), new Set(['seated']));
    // A create cut off by the kill committed or not, all of it or nothing.
    const cutOff = await storedSeatStates(
      d,
      unanswered.map((r) => r.userName),
    );
    assert.ok([...cutOff.values()].every((state) => state === 'seated'));
    const users = await userCount(d);
    assert.equal(users, created.length + cutOff.size, 'one member row per committed create, no other');
    const pool = await poolState(d);
    for (const tier of pool) {
      assert.equal(tier.held, tier.holding, `${tier.tier_id}: held = member rows seated or invited`);
      assert.ok(tier.held <= tier.allocation, `${tier.tier_id}: held ≤ allocation`);
    }
    const standard = pool.find((p) => p.tier_id === 'standard')!;
    assert.equal(standard.seated, users);
    assert.deepEqual([standard.allocation, standard.held], [151, 151], 'the load took every seat');

    // The survivors keep serving: each answers a read and one more create (refused: the pool is full).
    for (const s of [0, 2]) {
      const ready = await fetch(`http://127.0.0.1:${servers[s]!.port}/readyz`);
      assert.equal(ready.status, 200, `instance ${s} is ready`);
      assertSeatRefusal(await scimCreate(servers[s]!, s, token, `after${s}@acme.example`));
      const list = await fetch(`http://127.0.0.1:${servers[s]!.port}/scim/v2/Users?count=1`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(list.status, 200);
      // The directory's users: the seated ones (the owner's pending invitation is not one).
      assert.equal(((await list.json()) as { totalResults: number }).totalResults, users);
    }
    const shown = shownStandard(d);
    assert.deepEqual([shown.held, shown.seated, shown.available], [151, users, 0]);
  });

  test('When an instance is killed while it holds a webhook delivery, then another instance delivers it after the lease ends, with the same event id, exactly once', async () => {
    const t = perTest();
    const d = deployment(t);
    createOrganisation(d, 10);
    const token = scimToken(d);
    const issued = d.cli('api-token', 'create', 'acme', '--role', 'owner', '--name', 'hooks');
    assert.equal(issued.status, 0, issued.stderr);
    const apiToken = (issued.json as { token: string }).token;
    const receiver = await startHoldingReceiver();
    t.after(() => receiver.close());
    // Receivers on 127.0.0.1 over http are allowed for this deployment; every instance looks for
    // due deliveries each second besides being nudged by its own writes.
    const hooks = {
      WEBHOOKS_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      WEBHOOK_POLL_INTERVAL_SECONDS: '1',
    };
    const holder = await d.start(hooks);
    const holderExited = new Promise<NodeJS.Signals | null>((resolve) =>
      holder.child.once('exit', (_code, signal) => resolve(signal)),
    );
    const endpoint = await fetch(`http://127.0.0.1:${holder.port}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['member.created'] }),
    });
    assert.equal(endpoint.status, 201, await endpoint.text());

    // The member is created on the holder, whose worker leases the delivery and posts it; the
    // receiver keeps that request unanswered.
    const created = await scimCreate(holder, 0, token, 'hook@acme.example');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await receiver.waitFor(1, 15_000);
    const first = receiver.received[0]!;
    assert.equal(first.answered, false);
    const [leased] = await d.query<{
      attempts: number;
      lease_until: string | null;
      delivered_at: string | null;
    }>('SELECT attempts::int AS attempts, lease_until, delivered_at FROM webhook_deliveries');
    assert.equal(leased?.attempts, 1);
    assert.equal(leased?.delivered_at, null);
    assert.ok(leased?.lease_until, 'the delivery is leased');
    const leaseEnds = Date.parse(leased.lease_until);

    // Two more instances, polling every second: the live lease keeps them off.
    const others = await Promise.all([d.start(hooks), d.start(hooks)]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(receiver.received.length, 1, 'nobody else posts it while the lease runs');

    holder.child.kill('SIGKILL');
    assert.equal(await holderExited, 'SIGKILL');
    const killedAt = Date.now();
    assert.ok(killedAt < leaseEnds, 'killed while the lease ran');

    // Once the lease has ended, one of the others posts it again, and the receiver takes it.
    await receiver.waitFor(2, leaseEnds - Date.now() + 20_000);
    const second = receiver.received[1]!;
    t.diagnostic(
      `lease ended ${leaseEnds - killedAt} ms after the kill; posted again ${second.at - leaseEnds} ms after it ended`,
    );
    assert.ok(second.at >= leaseEnds, 'not before the lease ended');
    assert.equal(second.answered, true);
    assert.equal(second.headers['webhook-id'], first.headers['webhook-id'], 'the same event id');
    assert.equal(second.eventId, first.eventId);
    assert.equal(second.type, 'member.created');

    // Exactly once: no instance posts it again, and the database says delivered, after two attempts.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(receiver.received.length, 2);
    const answered = receiver.received.filter((r) => r.answered);
    assert.deepEqual(
      answered.map((r) => r.eventId),
      [first.eventId],
      'one delivery taken, of that event',
    );
    const [done] = await d.query<{
      attempts: number;
      delivered_at: string | null;
      last_status: number | null;
      public_id: string;
    }>(
      `SELECT d.attempts::int AS attempts, d.delivered_at, d.last_status::int AS last_status, e.public_id
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id`,
    );
    assert.deepEqual([done?.attempts, done?.last_status, done?.public_id], [2, 200, first.eventId]);
    assert.ok(done?.delivered_at);
    for (const other of others) {
      assert.equal(other.child.exitCode, null, 'the others still run');
      assert.equal((await fetch(`http://127.0.0.1:${other.port}/readyz`)).status, 200);
    }
  }, 90_000);

  test('When a process is killed while the SMTP server holds its mail, then an instance sends it again after the lease ends, with the same Message-ID, once', async () => {
    const t = perTest();
    const d = deployment(t);
    const smtp = await startSmtp();
    t.after(() => smtp.close());
    // The instances' mail lease outlasts the longest SMTP conversation (minutes), so the process
    // that dies is one with the real container and mail worker whose lease is 10 s.
    const leaseMs = 10_000;
    let taken!: () => void;
    const tookIt = new Promise<void>((resolve) => (taken = resolve));
    let letGo!: () => void;
    const goneNow = new Promise<void>((resolve) => (letGo = resolve));
    // The server has the message; before it answers 250, the sender is killed.
    smtp.beforeReply(async () => {
      taken();
      await goneNow;
    });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', LEASER, d.databaseUrl, smtp.url, String(leaseMs)],
      {
        cwd: ROOT,
        env: { ...process.env, SECRETS_KEY: d.env.SECRETS_KEY! },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const messages: LeaserMessage[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) =>
      messages.push(JSON.parse(line) as LeaserMessage),
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      tookIt.then(() => 'taken'),
      exited.then((how) => `exited ${how}: ${JSON.stringify(messages)} ${stderr}`),
      new Promise((resolve) => (timer = setTimeout(() => resolve('no mail in 30 s'), 30_000))),
    ]);
    clearTimeout(timer);
    assert.equal(first, 'taken', stderr);
    assert.equal(smtp.messages.length, 1);
    const id = messages.find((m) => m.type === 'enqueued')?.id;
    assert.ok(id !== undefined, JSON.stringify(messages));
    const outboxRow = async () =>
      (
        await d.query<{ attempts: number; lease_until: string | null; delivered_at: string | null }>(
          'SELECT attempts::int AS attempts, lease_until, delivered_at FROM outbox WHERE id = $1',
          [id],
        )
      )[0];
    const leased = await outboxRow();
    assert.equal(leased?.attempts, 1);
    assert.equal(leased?.delivered_at, null);
    assert.ok(leased?.lease_until, 'the mail is leased');
    const leaseEnds = Date.parse(leased.lease_until);

    // Three instances, each looking for due mail every second: the live lease keeps them off.
    const arrivals: number[] = [];
    const mailEnv = { SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_SECONDS: '1' };
    const servers = await Promise.all([0, 1, 2].map(() => d.start(mailEnv)));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(smtp.messages.length, 1, 'nobody else sends it while the lease runs');
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.ok(Date.now() < leaseEnds, 'killed while the lease ran');
    smtp.beforeReply(() => void arrivals.push(Date.now()));
    letGo();

    await smtp.waitFor(2, leaseEnds - Date.now() + 20_000);
    t.diagnostic(`sent again ${arrivals[0]! - leaseEnds} ms after the lease ended`);
    assert.ok(arrivals[0]! >= leaseEnds, 'not before the lease ended');
    assert.equal(smtp.messages[1]!.messageId, smtp.messages[0]!.messageId, 'the same Message-ID');
    assert.equal(smtp.messages[1]!.subject, 'Leased');
    // Once: no other instance sends it again, and the row says delivered, after two attempts.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(smtp.messages.length, 2);
    const done = await outboxRow();
    assert.equal(done?.attempts, 2);
    assert.ok(done?.delivered_at, 'marked delivered');
    for (const server of servers) assert.equal(server.child.exitCode, null, 'every instance still runs');
  }, 90_000);
});

interface HeldRequest {
  readonly headers: IncomingHttpHeaders;
  readonly eventId: string;
  readonly type: string;
  /** Date.now() when it arrived. */
  readonly at: number;
  /** Whether it was answered (200); the first request never is. */
  answered: boolean;
}

/**
 * A webhook receiver on 127.0.0.1 that keeps the first request unanswered, as a receiver that is
 * slow to answer, and answers every later one 200; it records each, with the event id of its body.
 */
async function startHoldingReceiver(): Promise<{
  readonly url: string;
  readonly received: HeldRequest[];
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}> {
  const received: HeldRequest[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; type: string };
      const entry: HeldRequest = {
        headers: req.headers,
        eventId: body.id,
        type: body.type,
        at: Date.now(),
        answered: false,
      };
      received.push(entry);
      if (received.length === 1) {
        held.push(res);
        return;
      }
      entry.answered = true;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/seatkeeper`,
    received,
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline)
          throw new Error(`waited ${timeoutMs} ms for ${count} requests, saw ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
