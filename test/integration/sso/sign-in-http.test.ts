// Single sign-on end to end over HTTP: the real server on 127.0.0.1, a real OpenID Provider and a
// real signing SAML IdP, the first sign-in creating the account (JIT) with a seat.
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
import {
  oidcBindingCookie,
  startOidcConnection,
  type OidcTestProvider,
} from '../../helpers/oidc-provider.js';
import { startSamlIdp, type SamlIdp } from '../../helpers/saml-idp.js';
import { inspect } from '../../helpers/inspect.js';

const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';

/** A request that does not follow redirects, carrying a cookie if given. */
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

const sessionCookie = (setCookie: string[]) => setCookie.find((c) => c.startsWith('seatkeeper_session='));

describe('OpenID Connect sign-in over HTTP', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let provider: OidcTestProvider;
  let orgId: number;

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    orgId = (
      await createExample(ctx, {
        termStart: new Date().toISOString().slice(0, 10),
        seats: { standard: 2, premium: 1 },
      })
    ).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx);
    ({ provider } = await startOidcConnection({
      sso: ctx.c.sso,
      organisationId: orgId,
      serverUrls: [server.url],
      accounts: Object.fromEntries(
        ['ada', 'bob', 'cyd'].map((id) => [
          id,
          { email: `${id}@acme.example`, email_verified: true, name: id },
        ]),
      ),
    }));
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
    await ctx.cleanup();
  });

  async function signIn(account: string, start = '/sso/start?org=acme') {
    const started = await hop(`${server.url}${start}`);
    assert.equal(started.status, 303);
    const authorization = new URL(started.location!);
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorization.searchParams.get('state') && authorization.searchParams.get('nonce'));
    const callback = await provider.login(authorization, account);
    // The browser that started the sign-in sends back the cookie that binds it.
    const binding = oidcBindingCookie(started.setCookie);
    assert.ok(binding, 'the start binds the sign-in to this browser');
    return hop(callback.toString(), { cookie: binding });
  }

  test('When a new employee signs in, then the account is created with the highest available seat and a Lax, httpOnly session cookie', async () => {
    const back = await signIn('ada');
    assert.equal(back.status, 303, back.text);
    assert.equal(back.location, '/sso/me');
    const cookie = sessionCookie(back.setCookie)!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    const me = await fetch(`${server.url}/sso/me`, {
      headers: { cookie: cookie.split(';')[0]!, accept: 'application/json' },
    });
    assert.deepEqual(await me.json(), {
      email: 'ada@acme.example',
      role: 'user',
      seatState: 'seated',
      tier: 'premium',
      organisation: 'acme',
    });
    assert.ok(await heldMatchesMembers(ctx, orgId));

    const again = await signIn('ada', '/sso/start?email=ada@acme.example');
    assert.notEqual(sessionCookie(again.setCookie), cookie, 'a new session at every sign-in');
  });

  test('When a sign-in starts with a return path, then it ends there; one given to the callback instead is ignored', async () => {
    const back = await signIn('ada', '/sso/start?org=acme&return_to=%2Fconsole%2Fmembers%3Fpage%3D2');
    assert.equal(back.status, 303, back.text);
    assert.equal(back.location, '/console/members?page=2');

    const started = await hop(`${server.url}/sso/start?org=acme&return_to=/console`);
    const callback = await provider.login(started.location!, 'ada');
    callback.searchParams.set('return_to', '//evil.example');
    const own = await hop(callback.toString(), { cookie: oidcBindingCookie(started.setCookie)! });
    assert.equal(own.status, 303, own.text);
    assert.equal(own.location, '/console', 'the path saved at the start, not the callback’s');
  });

  test('When the return path leads elsewhere, then the sign-in does not start: 400 invalid_return_to', async () => {
    for (const raw of [
      '//evil.example',
      '/\\evil.example',
      '/%5Cevil.example',
      'https://evil.example/',
      '/console%0d%0aLocation:%20https://evil.example',
    ]) {
      const refused = await hop(`${server.url}/sso/start?org=acme&return_to=${encodeURIComponent(raw)}`);
      assert.equal(refused.status, 400, raw);
      assert.equal(refused.location, null, raw);
      assert.match(refused.text, /return_to/, raw);
      assert.match(refused.text, /href="\/console\/sign-in"/, 'a way on');
    }
  });

  test('When the signed-in page is shown, then it leads on to the console; the root leads to the console too', async () => {
    const back = await signIn('ada');
    const cookie = sessionCookie(back.setCookie)!.split(';')[0]!;
    const me = await hop(`${server.url}/sso/me`, { cookie });
    assert.equal(me.status, 200);
    assert.match(me.text, /<a href="\/console"/);
    const root = await hop(`${server.url}/`);
    assert.equal(root.status, 302);
    assert.equal(root.location, '/console');
  });

  test('When the session cookie is malformed, then /sso/me and /api/v1/session both answer 401, not 500', async () => {
    for (const cookie of [
      'seatkeeper_session=%E0%A4%A',
      'seatkeeper_session=%',
      'seatkeeper_session="unterminated',
      'seatkeeper_session',
      '=; seatkeeper_session=%ZZ; ;;',
    ]) {
      const me = await hop(`${server.url}/sso/me`, { cookie });
      assert.equal(me.status, 401, `/sso/me with ${cookie}`);
      assert.match(me.text, /Not signed in/);
      assert.match(me.text, /href="\/console\/sign-in"/);
      const session = await fetch(`${server.url}/api/v1/session`, { headers: { cookie } });
      assert.equal(session.status, 401, `/api/v1/session with ${cookie}`);
      assert.equal(session.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    }
  });

  test('When the seats run out, then the next employee gets a 403 page that says so, and no account', async () => {
    assert.equal((await signIn('bob')).status, 303); // the last standard seat (the owner's invitation holds one)
    const refused = await signIn('cyd');
    assert.equal(refused.status, 403);
    assert.match(refused.text, /no available seats/i);
    assert.match(refused.text, /no_seats/);
    assert.match(refused.text, /href="\/console\/sign-in\?org=acme"/, 'a way on');
    assert.equal((await ctx.c.store.read((q) => q.members.withEmail(orgId, 'cyd@acme.example'))).length, 0);
  });

  test('When a callback URL made for someone else’s sign-in is opened in another browser, then 401 and nobody is signed in; the browser that started it still completes it', async () => {
    // An attacker starts a sign-in, signs in at the provider, and hands the callback URL on.
    const started = await hop(`${server.url}/sso/start?org=acme`);
    const binding = oidcBindingCookie(started.setCookie)!;
    const callback = (await provider.login(started.location!, 'ada')).toString();
    const victim = await hop(callback);
    assert.equal(victim.status, 401);
    assert.match(victim.text, /oidc_state_mismatch/);
    assert.equal(sessionCookie(victim.setCookie), undefined, 'no session for the victim');
    const otherStart = await hop(`${server.url}/sso/start?org=acme`);
    const otherBinding = oidcBindingCookie(otherStart.setCookie)!;
    const mixed = await hop(callback, { cookie: otherBinding });
    assert.equal(mixed.status, 401, 'the cookie of another sign-in does not fit');
    // The starting browser may have begun another sign-in meanwhile (a second tab): both cookies.
    const own = await hop(callback, { cookie: `${otherBinding}; ${binding}` });
    assert.equal(own.status, 303, own.text);
    assert.ok(sessionCookie(own.setCookie));
  });

  test('When the code exchange fails, then the sign-in it belonged to is used up: the same state with a good code is refused', async () => {
    const started = await hop(`${server.url}/sso/start?org=acme`);
    const binding = oidcBindingCookie(started.setCookie)!;
    const callback = new URL((await provider.login(started.location!, 'ada')).toString());
    const goodCode = callback.searchParams.get('code')!;
    callback.searchParams.set('code', 'not-a-code-the-provider-issued');
    const failed = await hop(callback.toString(), { cookie: binding });
    assert.equal(failed.status, 401, failed.text);
    assert.match(failed.text, /oidc_code_rejected/);
    callback.searchParams.set('code', goodCode);
    const again = await hop(callback.toString(), { cookie: binding });
    assert.equal(again.status, 401, again.text);
    assert.match(again.text, /oidc_state_mismatch/);
    assert.equal(sessionCookie(again.setCookie), undefined);
  });

  test('When the callback carries a state the server never issued, then 401 and an audit event', async () => {
    const forged = await hop(`${server.url}/sso/oidc/callback?code=abc&state=forged`);
    assert.equal(forged.status, 401);
    assert.match(forged.text, /oidc_state_mismatch/);
  });
});

describe('SAML sign-in over HTTP', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let idp: SamlIdp;
  let orgId: number;
  let acs: string;
  let spEntityId: string;

  beforeAll(async () => {
    ctx = await setup(new Date().toISOString());
    orgId = (
      await createExample(ctx, {
        termStart: new Date().toISOString().slice(0, 10),
        seats: { standard: 51, premium: 0 },
      })
    ).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    server = await listen(ctx);
    // The IdP is started first (its certificate goes into the connection); responses are then
    // addressed to the connection's real entity id and ACS.
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

  const addressed = { audience: '', recipient: '', destination: '' };
  async function samlResponse(user: string, start = '/sso/start?org=acme') {
    const started = await hop(`${server.url}${start}`);
    assert.equal(started.status, 303);
    Object.assign(addressed, { audience: spEntityId, recipient: acs, destination: acs });
    return idp.respond(
      started.location!,
      { nameId: `${user}-id`, attributes: { [EMAIL]: `${user}@acme.example` } },
      addressed,
    );
  }
  const post = (form: { SAMLResponse: string; RelayState?: string }) =>
    hop(acs, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  test('When the IdP posts a signed response to our real AuthnRequest, then the employee is signed in with a new seat', async () => {
    const back = await post(await samlResponse('eve'));
    assert.equal(back.status, 303, back.text);
    const me = await fetch(`${server.url}/sso/me`, {
      headers: { cookie: sessionCookie(back.setCookie)!.split(';')[0]!, accept: 'application/json' },
    });
    assert.deepEqual(await me.json(), {
      email: 'eve@acme.example',
      role: 'user',
      seatState: 'seated',
      tier: 'standard',
      organisation: 'acme',
    });
  });

  test('When the same response is posted twice, or tampered with, then 401 pages and audit events, nothing signed in', async () => {
    const response = await samlResponse('fay');
    assert.equal((await post(response)).status, 303);
    const replay = await post(response);
    assert.equal(replay.status, 401);
    assert.match(replay.text, /saml_replayed/);
    const tampered = await post({
      ...response,
      SAMLResponse: Buffer.from(
        Buffer.from(response.SAMLResponse, 'base64')
          .toString()
          .replace('fay@acme.example', 'ceo@acme.example'),
      ).toString('base64'),
    });
    assert.equal(tampered.status, 401);
    const rejected = (await inspect(ctx.c.store).audit(orgId)).filter((a) => a.action === 'sign_in.rejected');
    assert.ok(rejected.length >= 2, 'each rejection is audited');
    assert.equal((await ctx.c.store.read((q) => q.members.withEmail(orgId, 'ceo@acme.example'))).length, 0);
  });

  test('When a forged response arrives first, then the sign-in it claims to answer stays open: the genuine response still completes it', async () => {
    const genuine = await samlResponse('gus');
    const forged = await post({
      ...genuine,
      SAMLResponse: Buffer.from(
        Buffer.from(genuine.SAMLResponse, 'base64')
          .toString()
          .replace('gus@acme.example', 'ceo@acme.example'),
      ).toString('base64'),
    });
    assert.equal(forged.status, 401);
    assert.match(forged.text, /saml_signature_invalid/);
    const back = await post(genuine);
    assert.equal(back.status, 303, back.text);
    assert.equal(back.location, '/sso/me');
  });

  test('When a SAML sign-in starts with a return path, then it ends there', async () => {
    const back = await post(await samlResponse('joy', '/sso/start?org=acme&return_to=/console/billing'));
    assert.equal(back.status, 303, back.text);
    assert.equal(back.location, '/console/billing');
  });

  test('When a response is posted with the RelayState of another sign-in, then 400 and nobody is signed in', async () => {
    const hal = await samlResponse('hal');
    const ian = await samlResponse('ian');
    const crossed = await post({ SAMLResponse: hal.SAMLResponse, RelayState: ian.RelayState });
    assert.equal(crossed.status, 400, crossed.text);
    assert.match(crossed.text, /login_state_unknown/);
    assert.equal(sessionCookie(crossed.setCookie), undefined);
    assert.equal((await ctx.c.store.read((q) => q.members.withEmail(orgId, 'hal@acme.example'))).length, 0);
  });

  test('When an unsolicited response comes with a RelayState anyone can get from /sso/start, then it is still sent through an SP-initiated sign-in', async () => {
    const open = await ctx.c.sso.createConnection(
      orgId,
      {
        protocol: 'saml',
        name: 'Acme SAML (IdP-initiated)',
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCerts: [idp.certPem],
        idpInitiated: true,
      },
      OPERATOR,
    );
    const openEntity = `${server.url}/sso/saml/${open.publicId}`;
    const openAcs = `${openEntity}/acs`;
    const { RelayState } = {
      RelayState: new URLSearchParams(
        new URL((await hop(`${server.url}/sso/start?connection=${open.publicId}`)).location!).search,
      ).get('RelayState')!,
    };
    const unsolicited = await idp.idpInitiated(
      { nameId: 'mallory-id', attributes: { [EMAIL]: 'mallory@acme.example' } },
      { audience: openEntity, recipient: openAcs, destination: openAcs },
    );
    const posted = await hop(openAcs, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: unsolicited.SAMLResponse, RelayState }).toString(),
    });
    assert.equal(posted.status, 303, posted.text);
    assert.equal(posted.location, `/sso/start?connection=${open.publicId}`);
    assert.equal(sessionCookie(posted.setCookie), undefined, 'not signed in by the unsolicited response');
    assert.equal(
      (await ctx.c.store.read((q) => q.members.withEmail(orgId, 'mallory@acme.example'))).length,
      0,
    );
  });

  test('When the SP metadata is asked for, then it names the ACS and wants signed assertions', async () => {
    const res = await fetch(spEntityId);
    const xml = await res.text();
    assert.equal(res.status, 200);
    assert.ok(xml.includes(acs));
    assert.match(xml, /WantAssertionsSigned="true"/);
  });

  test('When 200 people sign in for the first time at once against the remaining seats, then exactly that many accounts and clean refusals for the rest', async () => {
    const free = (await ctx.c.seats.usage(orgId)).reduce((n, t) => n + t.available, 0);
    const responses = [];
    for (let i = 0; i < 200; i++) responses.push(await samlResponse(`rush${i}`));
    const results = await Promise.all(responses.map((r) => post(r)));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 303).length, free);
    assert.equal(statuses.filter((s) => s === 403).length, 200 - free);
    assert.ok(results.filter((r) => r.status === 403).every((r) => /no_seats/.test(r.text)));
    const usage = await ctx.c.seats.usage(orgId);
    assert.deepEqual(
      usage.map((t) => t.available),
      [0, 0],
    );
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When a sign-in is refused for want of a seat, then its response is used up all the same: posting it again is saml_replayed', async () => {
    const response = await samlResponse('late');
    const refused = await post(response);
    assert.equal(refused.status, 403);
    assert.match(refused.text, /no_seats/);
    const again = await post(response);
    assert.equal(again.status, 401);
    assert.match(again.text, /saml_replayed/);
    const audited = (await inspect(ctx.c.store).audit(orgId)).filter(
      (a) => a.action === 'sign_in.refused' && a.subjectId === 'late-id',
    );
    assert.equal(audited.length, 1, 'the refusal is audited once');
  });
});
