// A person refused at sign-in for want of a seat asks the administrators for one from the refusal
// page: the page carries a single-use ticket for the identity the provider asserted; the request
// made with it is for that address (never one typed), the owners are mailed, and granting it
// invites the person, holding the seat.
import assert from '../../helpers/assert.js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { OPERATOR } from '../../../domain/model.js';
import {
  createExample,
  heldMatchesMembers,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import {
  oidcBindingCookie,
  startOidcConnection,
  type OidcTestProvider,
} from '../../helpers/oidc-provider.js';

async function hop(url: string, init: RequestInit & { cookie?: string } = {}) {
  const { cookie, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    redirect: 'manual',
    headers: { ...(cookie ? { cookie } : {}), ...(rest.headers as Record<string, string> | undefined) },
  });
  return {
    status: res.status,
    location: res.headers.get('location'),
    setCookie: res.headers.getSetCookie(),
    text: await res.text(),
  };
}

/** The seat-request service the server at `publicBaseUrl` uses, as the container built it. */
const serviceFor = (ctx: TestContext, publicBaseUrl: string) => ctx.c.linking(publicBaseUrl).seatRequests;

describe('When a sign-in is refused because no seat is free', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let provider: OidcTestProvider;
  let orgId = 0;

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    // One standard seat, held by the primary owner's invitation: every JIT sign-in is refused.
    const { organisation, primaryOwner } = await createExample(ctx, {
      termStart: new Date().toISOString().slice(0, 10),
      seats: { standard: 1, premium: 0 },
    });
    orgId = organisation.id;
    await ctx.c.seats.acceptInvitation(orgId, primaryOwner.id, OPERATOR);
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx);
    ({ provider } = await startOidcConnection({
      sso: ctx.c.sso,
      organisationId: orgId,
      serverUrls: [server.url],
      accounts: {
        cyd: { email: 'cyd@acme.example', email_verified: true, name: 'Cyd Newcomer' },
        eve: { email: 'eve@acme.example', email_verified: false, name: 'Eve' },
        fay: { email: 'fay@acme.example', email_verified: true, name: 'Fay' },
      },
    }));
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
    await ctx.cleanup();
  });

  async function refusedPage(account: string) {
    const started = await hop(`${server.url}/sso/start?org=acme`);
    const callback = await provider.login(new URL(started.location!), account);
    return hop(callback.toString(), { cookie: oidcBindingCookie(started.setCookie)! });
  }

  const ask = (body: unknown) =>
    fetch(`${server.url}/api/v1/seat-requests/from-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  function ticketIn(html: string): string {
    const match = /href="\/console\/ask-for-seat#token=([^"]+)"/.exec(html);
    assert.ok(match, 'the refusal page offers to ask for a seat');
    return decodeURIComponent(match[1]!);
  }

  test('then the refusal page offers to ask, and the request is for the asserted identity, once', async () => {
    const refused = await refusedPage('cyd');
    assert.equal(refused.status, 403);
    assert.match(refused.text, /no_seats/);
    const token = ticketIn(refused.text);
    assert.match(token, /^skseat_/);
    const res = await ask({ token, note: 'Starting Monday' });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), {
      status: 'open',
      tier: 'standard',
      organisation: { name: 'Acme GmbH', slug: 'acme' },
    });
    const [request] = await ctx.c.store.read((q) => q.seatRequests.list(orgId, 'open'));
    assert.equal(request!.email, 'cyd@acme.example');
    assert.equal(request!.displayName, 'Cyd Newcomer');
    assert.equal(request!.memberId, null);
    assert.equal(request!.origin, 'sign_in');
    assert.equal(request!.note, 'Starting Monday');
    const toOwners = (await ctx.c.store.read((q) => q.outbox.list(0, 1000))).filter(
      (m) => m.kind === 'seat_request',
    );
    assert.deepEqual(
      toOwners.map((m) => m.recipient),
      ['owner@acme.example'],
    );
    assert.match(toOwners[0]!.subject, /Cyd Newcomer \(cyd@acme\.example\) asks for a Standard seat/);
    const again = await ask({ token });
    assert.equal(again.status, 410);
    assert.equal(((await again.json()) as { code: string }).code, 'seat_request_ticket_used');
  });

  test('then a provider that does not vouch for the address gets no ticket', async () => {
    const refused = await refusedPage('eve');
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.text, /ask-for-seat/);
  });

  test('then an unknown ticket is 400, a stale one 410, and bad bodies are problems', async () => {
    const bogus = await ask({ token: 'skseat_nothing' });
    assert.equal(bogus.status, 400);
    assert.equal(((await bogus.json()) as { code: string }).code, 'seat_request_ticket_invalid');
    assert.equal((await ask({})).status, 400);
    assert.equal((await ask({ token: 'x', note: 'n'.repeat(501) })).status, 400);
    const refused = await refusedPage('fay');
    const token = ticketIn(refused.text);
    ctx.clock.advance({ minutes: 61 });
    const late = await ask({ token });
    assert.equal(late.status, 410);
    assert.equal(((await late.json()) as { code: string }).code, 'seat_request_ticket_expired');
  });

  test('then granting it invites the person, holding the seat, and mails them', async () => {
    const quote = await ctx.c.billing.quote(orgId, { add: { standard: 1 } }, OPERATOR);
    await ctx.c.billing.confirm(orgId, quote.id, OPERATOR);
    const [request] = await ctx.c.store.read((q) => q.seatRequests.list(orgId, 'open'));
    const service = serviceFor(ctx, server.url);
    const granted = await service.grant(orgId, request!.id, OPERATOR);
    assert.equal(granted.status, 'granted');
    const cyd = (await ctx.c.store.read((q) => q.members.byEmail(orgId, 'cyd@acme.example')))!;
    assert.equal(cyd.seatState, 'invited');
    assert.equal(cyd.tierId, 'standard');
    const kinds = (await ctx.c.store.read((q) => q.outbox.list(0, 1000)))
      .filter((m) => m.recipient === 'cyd@acme.example')
      .map((m) => m.kind)
      .sort();
    assert.deepEqual(kinds, ['invitation', 'seat_request_decided']);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });
});
