// GET /metrics after real traffic: SCIM creates and a refusal, a just-in-time sign-in and a refused
// one through a real OpenID Provider, invitations sent, accepted and expired, mail delivered; the
// labels stay route patterns; the token guards it; the organisation label can be dropped.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FixedClock } from '../../../domain/clock.js';
import { LOWEST, OPERATOR } from '../../../domain/model.js';
import { buildContainer } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { scimOperation, scimOutcome } from '../../../server/metrics.js';
import {
  createExample,
  exampleOrganisation,
  scimToken,
  setup,
  tempDir,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import { oidcSignIn, startOidcConnection, type OidcTestProvider } from '../../helpers/oidc-provider.js';
import { sample, samples, serveApp } from '../../helpers/operations.js';

const today = () => new Date().toISOString().slice(0, 10);

describe('The metrics after a scenario', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let provider: OidcTestProvider;
  let orgId: number;
  let ownerId: number;
  let token: string;
  let text: string;
  let ids: string[];

  const scimCreate = (userName: string) =>
    fetch(`${server.url}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        emails: [{ value: userName, primary: true }],
      }),
    });

  async function jitSignIn(account: string): Promise<number> {
    const { response: back } = await oidcSignIn(provider, `${server.url}/sso/start?org=acme`, account);
    await back.arrayBuffer();
    return back.status;
  }

  const scrape = async () => {
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    // 5 standard seats: the owner's invitation, two SCIM users, one JIT account, one invitation.
    const created = await createExample(ctx, { termStart: today(), seats: { standard: 5, premium: 0 } });
    orgId = created.organisation.id;
    ownerId = created.primaryOwner.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    token = await scimToken(ctx, orgId);
    server = await serveApp(ctx.c);
    ({ provider } = await startOidcConnection({
      sso: ctx.c.sso,
      organisationId: orgId,
      serverUrls: [server.url],
      accounts: Object.fromEntries(
        ['ada', 'bob'].map((id) => [id, { email: `${id}@acme.example`, email_verified: true }]),
      ),
      clientSecret: 'secret-1',
      name: 'Acme',
    }));

    const first = await scimCreate('one@acme.example');
    const second = await scimCreate('two@acme.example');
    assert.deepEqual([first.status, second.status], [201, 201]);
    ids = [((await first.json()) as { id: string }).id, ((await second.json()) as { id: string }).id];
    assert.equal(await jitSignIn('ada'), 303, 'ada gets the fourth seat, just in time');
    await ctx.c.members.invite(orgId, { email: 'carol@acme.example', role: 'user' }, LOWEST, OPERATOR);
    assert.equal((await scimCreate('three@acme.example')).status, 403, 'no seat is left');
    assert.equal(await jitSignIn('bob'), 403, 'bob is refused: no seat');
    assert.equal(
      (
        await fetch(`${server.url}/scim/v2/Users/${ids[0]}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
      200,
    );
    assert.equal((await fetch(`${server.url}/nowhere/${ids[1]}`)).status, 404);
    text = await scrape();
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
    await ctx.cleanup();
  });

  test('When SCIM creates succeed and one is refused, then the SCIM operations and the HTTP requests count them by outcome and status', () => {
    assert.equal(
      sample(text, 'seatkeeper_scim_operations_total', { operation: 'create_user', outcome: 'success' }),
      2,
    );
    assert.equal(
      sample(text, 'seatkeeper_scim_operations_total', { operation: 'create_user', outcome: 'refused' }),
      1,
    );
    assert.equal(
      sample(text, 'seatkeeper_scim_operations_total', { operation: 'get_user', outcome: 'success' }),
      1,
    );
    const post = { route: '/scim/v2/Users', method: 'POST' };
    assert.equal(sample(text, 'seatkeeper_http_requests_total', { ...post, status: '201' }), 2);
    assert.equal(sample(text, 'seatkeeper_http_requests_total', { ...post, status: '403' }), 1);
    assert.equal(sample(text, 'seatkeeper_http_request_duration_seconds_count', post), 3);
    assert.equal(sample(text, 'seatkeeper_http_request_duration_seconds_bucket', { ...post, le: '+Inf' }), 3);
  });

  test('When requests name ids and unknown paths, then the route label is the matched pattern, never the raw path', () => {
    assert.equal(
      sample(text, 'seatkeeper_http_requests_total', {
        route: '/scim/v2/Users/:id',
        method: 'GET',
        status: '200',
      }),
      1,
    );
    assert.equal(
      sample(text, 'seatkeeper_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }),
      1,
    );
    assert.equal(
      sample(text, 'seatkeeper_http_requests_total', {
        route: '/sso/oidc/callback',
        method: 'GET',
        status: '303',
      }),
      1,
    );
    const labels = samples(text).flatMap((s) => Object.values(s.labels));
    for (const id of ids) assert.ok(!labels.some((l) => l.includes(id)), `no label holds the id ${id}`);
  });

  test('When one employee signs in just in time and another is refused, then sign-ins count the account created and refusals the reason', () => {
    assert.equal(sample(text, 'seatkeeper_sign_ins_total', { outcome: 'created' }), 1);
    assert.equal(sample(text, 'seatkeeper_sign_in_refusals_total', { reason: 'no_seats' }), 1);
  });

  test('When scraped, then the seat gauges come from the database per organisation and tier, with those waiting', () => {
    const standard = { organisation: 'acme', tier: 'standard' };
    assert.equal(sample(text, 'seatkeeper_seats_allocation', standard), 5);
    assert.equal(sample(text, 'seatkeeper_seats_held', standard), 5);
    assert.equal(sample(text, 'seatkeeper_seats_available', standard), 0);
    assert.equal(sample(text, 'seatkeeper_seats_allocation', { organisation: 'acme', tier: 'premium' }), 0);
    // The refused SCIM user and the refused sign-in are both on the waiting list.
    assert.equal(sample(text, 'seatkeeper_seats_waiting', { organisation: 'acme', reason: 'refused' }), 2);
    assert.equal(
      sample(text, 'seatkeeper_seats_waiting', { organisation: 'acme', reason: 'awaiting_seat' }),
      0,
    );
    assert.equal(sample(text, 'seatkeeper_db_busy_retries_total'), 0);
  });

  test('When invitations are sent, accepted and expire, and their mail is delivered, then the counters and the outbox gauges follow', async () => {
    assert.equal(sample(text, 'seatkeeper_invitations_total', { event: 'sent' }), 2);
    // The owner's invitation is mailed; the operator's invitation of carol sends none.
    assert.equal(sample(text, 'seatkeeper_mail_outbox_pending'), 1, 'the mail waits in the outbox');
    assert.ok((sample(text, 'seatkeeper_mail_outbox_oldest_pending_seconds') ?? -1) >= 0);

    const run = await ctx.c.mail.runOnce();
    assert.equal(run.failed, 0);
    await ctx.c.seats.acceptInvitation(orgId, ownerId, OPERATOR);
    ctx.clock.advance({ days: 22 });
    assert.equal((await ctx.c.runJobs()).expiredInvitations, 1, "carol's invitation expires");

    const later = await scrape();
    assert.equal(sample(later, 'seatkeeper_invitations_total', { event: 'accepted' }), 1);
    assert.equal(sample(later, 'seatkeeper_invitations_total', { event: 'expired' }), 1);
    assert.equal(
      sample(later, 'seatkeeper_mail_deliveries_total', { kind: 'invitation', outcome: 'delivered' }),
      1,
    );
    assert.equal(sample(later, 'seatkeeper_mail_outbox_pending'), 0);
    assert.equal(sample(later, 'seatkeeper_mail_outbox_retrying'), 0);
    assert.equal(
      sample(later, 'seatkeeper_seats_held', { organisation: 'acme', tier: 'standard' }),
      4,
      'the expired invitation gave its seat back',
    );
  });
});

describe('The metrics endpoint', () => {
  test('When METRICS_TOKEN is set, then /metrics refuses a request without it or with another, and answers the right one', async () => {
    const ctx = await setup();
    const server = await serveApp(ctx.c, { metrics: { token: 'scrape-token-0123456789' } });
    try {
      const none = await fetch(`${server.url}/metrics`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="seatkeeper-metrics"');
      assert.match(String(none.headers.get('content-type')), /^application\/problem\+json/);
      assert.equal(((await none.json()) as { code: string }).code, 'unauthenticated');
      const wrong = await fetch(`${server.url}/metrics`, {
        headers: { authorization: 'Bearer scrape-token-012345678X' },
      });
      assert.equal(wrong.status, 401);
      const right = await fetch(`${server.url}/metrics`, {
        headers: { authorization: 'Bearer scrape-token-0123456789' },
      });
      assert.equal(right.status, 200);
      assert.match(await right.text(), /# TYPE seatkeeper_http_requests_total counter/);
      // The probes stay open: they carry nothing but up or down.
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  test('When the organisation label is turned off, then the seat gauges are summed per tier and no series names an organisation', async () => {
    const dir = tempDir();
    const c = await buildContainer({
      config: {
        databasePath: join(dir, 'seatkeeper.db'),
        dbBusyTimeoutMs: 5000,
        quoteTtlSeconds: 900,
        metrics: { perOrganisation: false },
      },
      clock: new FixedClock('2026-03-01T09:00:00Z'),
      logger: createLogger('silent'),
    });
    try {
      await c.organisations.create(
        exampleOrganisation({ slug: 'acme', seats: { standard: 10, premium: 2 } }),
        OPERATOR,
      );
      await c.organisations.create(
        exampleOrganisation({ slug: 'globex', seats: { standard: 7, premium: 0 } }),
        OPERATOR,
      );
      const text = await c.metrics.registry.metrics();
      assert.equal(sample(text, 'seatkeeper_seats_allocation', { tier: 'standard' }), 17);
      assert.equal(sample(text, 'seatkeeper_seats_held', { tier: 'standard' }), 2, 'two owners invited');
      assert.equal(sample(text, 'seatkeeper_seats_available', { tier: 'premium' }), 2);
      assert.equal(sample(text, 'seatkeeper_seats_waiting', { reason: 'refused' }), 0);
      assert.ok(!samples(text).some((s) => 'organisation' in s.labels));
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('When SCIM paths are named, then each maps to one operation of a fixed set, and each status to one outcome', () => {
    assert.equal(scimOperation('POST', '/Users'), 'create_user');
    assert.equal(scimOperation('PATCH', '/Groups/1b2c'), 'patch_group');
    assert.equal(scimOperation('POST', '/users/.search'), 'search_users');
    assert.equal(scimOperation('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User'), 'discovery');
    assert.equal(scimOperation('POST', '/.search'), 'search');
    assert.equal(scimOperation('GET', '/Users/a/b/c'), 'other');
    assert.equal(scimOperation('PUT', '/Users'), 'other');
    assert.deepEqual([201, 304, 403, 413, 429, 503].map(scimOutcome), [
      'success',
      'success',
      'refused',
      'too_large',
      'rate_limited',
      'error',
    ]);
  });
});
