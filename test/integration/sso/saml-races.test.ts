// SAML responses racing at the ACS, over HTTP against the real server on 127.0.0.1 and a real
// signing IdP: on PostgreSQL each request's unit of work runs on a pooled connection of its own,
// so Promise.all is true concurrency. One signed response posted many times at once signs in once
// (one session, one account made just in time); every other post is the SSO error page for a
// replay. Two responses answering one AuthnRequest (one InResponseTo) race the same way: the
// request id is used once (docs/sso.md).
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import {
  createExample,
  heldMatchesMembers,
  listen,
  setup,
  type RunningServer,
  type TestContext,
} from '../../helpers/fixtures.js';
import { startSamlIdp, type SamlIdp } from '../../helpers/saml-idp.js';
import { inspect } from '../../helpers/inspect.js';

const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const N = 10;

interface Hop {
  readonly status: number;
  readonly location: string | null;
  readonly setCookie: string[];
  readonly text: string;
}

/** A request that does not follow redirects. */
async function hop(url: string, init: RequestInit = {}): Promise<Hop> {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  return {
    status: res.status,
    location: res.headers.get('location'),
    setCookie: res.headers.getSetCookie(),
    text: await res.text(),
  };
}

const sessionCookie = (setCookie: string[]) => setCookie.find((c) => c.startsWith('seatkeeper_session='));

const summary = (results: Hop[]) =>
  results.map((r) => `${r.status} ${/saml_\w+|login_state_\w+|no_seats|sso_\w+/.exec(r.text)?.[0] ?? ''}`);

describe('SAML responses racing at the ACS', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let idp: SamlIdp;
  let orgId: number;
  let acs: string;
  let spEntityId: string;

  beforeAll(async () => {
    // Real time: the IdP's times and the server's clock agree, as in sign-in-http.test.ts.
    ctx = await setup(new Date().toISOString());
    orgId = (
      await createExample(ctx, {
        termStart: new Date().toISOString().slice(0, 10),
        seats: { standard: 20, premium: 0 },
      })
    ).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx);
    idp = startSamlIdp({
      spMetadata: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="placeholder"><SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${server.url}/placeholder" index="0"/></SPSSODescriptor></EntityDescriptor>`,
      now: () => ctx.clock.now(),
    });
    const connection = await ctx.c.sso.createConnection(
      orgId,
      {
        protocol: 'saml',
        name: 'Acme SAML',
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCerts: [idp.certPem],
      },
      OPERATOR,
    );
    spEntityId = `${server.url}/sso/saml/${connection.publicId}`;
    acs = `${spEntityId}/acs`;
  });
  afterAll(async () => {
    idp.close();
    await server.close();
    await ctx.cleanup();
  });

  /** Starts a sign-in: the redirect to the IdP carrying our AuthnRequest. */
  async function start(): Promise<string> {
    const started = await hop(`${server.url}/sso/start?org=acme`);
    assert.equal(started.status, 303);
    return started.location!;
  }

  const answer = (authnRequest: string, user: string) =>
    idp.respond(
      authnRequest,
      { nameId: `${user}-id`, attributes: { [EMAIL]: `${user}@acme.example` } },
      { audience: spEntityId, recipient: acs, destination: acs },
    );

  const post = (form: { SAMLResponse: string; RelayState?: string }) =>
    hop(acs, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  const accountsOf = async (user: string) =>
    (await ctx.c.store.read((q) => q.members.withEmail(orgId, `${user}@acme.example`))).length;

  const held = async () => {
    assert.ok(await heldMatchesMembers(ctx, orgId), 'pool counters match member rows');
    return (await ctx.c.seats.usage(orgId)).reduce((n, t) => n + t.held, 0);
  };

  test(`When one signed response is posted ${N} times at once, then exactly one signs in and makes the account, and the rest are the replay page`, async () => {
    const response = await answer(await start(), 'racer');
    const before = await held();
    const audited = (await inspect(ctx.c.store).audit(orgId)).length;

    const results = await Promise.all(Array.from({ length: N }, () => post(response)));
    const signedIn = results.filter((r) => r.status === 303);
    assert.equal(signedIn.length, 1, summary(results).join(', '));
    assert.ok(sessionCookie(signedIn[0]!.setCookie), 'the winner gets a session');
    assert.equal(signedIn[0]!.location, '/sso/me');
    for (const refused of results.filter((r) => r.status !== 303)) {
      assert.equal(refused.status, 401, summary(results).join(', '));
      assert.match(refused.text, /saml_replayed/);
      assert.equal(sessionCookie(refused.setCookie), undefined, 'a replay starts no session');
    }
    assert.equal(await accountsOf('racer'), 1, 'one account made just in time');
    assert.equal(await held(), before + 1, 'one seat claimed');
    const rows = (await inspect(ctx.c.store).audit(orgId)).slice(audited);
    assert.equal(
      rows.filter((e) => e.action === 'member.created').length,
      1,
      rows.map((e) => e.action).join(', '),
    );
    const me = await fetch(`${server.url}/sso/me`, {
      headers: { cookie: sessionCookie(signedIn[0]!.setCookie)!.split(';')[0]!, accept: 'application/json' },
    });
    assert.equal(((await me.json()) as { email: string }).email, 'racer@acme.example');
  });

  test('When two different responses to one AuthnRequest (one InResponseTo) are posted at once, then the request id is used once: one person signs in, the other is refused and no account is made for them', async () => {
    const authnRequest = await start();
    const first = await answer(authnRequest, 'left');
    const second = await answer(authnRequest, 'right');
    assert.equal(first.RelayState, second.RelayState);
    const before = await held();

    const results = await Promise.all([post(first), post(second)]);
    assert.equal(results.filter((r) => r.status === 303).length, 1, summary(results).join(', '));
    const refused = results.find((r) => r.status !== 303)!;
    assert.equal(refused.status, 401, summary(results).join(', '));
    assert.match(refused.text, /saml_unknown_request|saml_replayed/);
    assert.equal(sessionCookie(refused.setCookie), undefined);
    const winner = results[0].status === 303 ? 'left' : 'right';
    const loser = winner === 'left' ? 'right' : 'left';
    assert.equal(await accountsOf(winner), 1);
    assert.equal(await accountsOf(loser), 0, 'no account for the refused response');
    assert.equal(await held(), before + 1);
  });

  test('When one new person finishes two sign-ins at once (two tabs, two responses), then both sign in and exactly one account is made', async () => {
    const tabs = [await answer(await start(), 'twotabs'), await answer(await start(), 'twotabs')];
    const before = await held();
    const results = await Promise.all(tabs.map(post));
    assert.deepEqual(
      results.map((r) => r.status),
      [303, 303],
      summary(results).join(', '),
    );
    assert.ok(
      results.every((r) => sessionCookie(r.setCookie)),
      'each tab gets a session',
    );
    assert.equal(await accountsOf('twotabs'), 1, 'one account made just in time');
    assert.equal(await held(), before + 1, 'one seat claimed');
  });

  test(`When ${N} sign-ins are started and each answer is posted twice at once, then each person signs in exactly once`, async () => {
    const responses = [];
    for (let i = 0; i < N; i++) responses.push(await answer(await start(), `pair${i}`));
    const before = await held();
    const results = await Promise.all(responses.flatMap((r) => [post(r), post(r)]));
    for (let i = 0; i < N; i++) {
      const pair = results.slice(2 * i, 2 * i + 2);
      assert.deepEqual(pair.map((r) => r.status).sort(), [303, 401], `pair${i}: ${summary(pair).join(', ')}`);
      assert.match(pair.find((r) => r.status === 401)!.text, /saml_replayed/);
      assert.equal(await accountsOf(`pair${i}`), 1);
    }
    assert.equal(await held(), before + N);
  });
});
