// The log at its most talkative (trace) through a whole day's traffic: a SCIM create with a token,
// admin API calls with an API token and a session, an OpenID Connect and a SAML sign-in against
// real providers, invitation mail over SMTP with a password. Every secret of that traffic is known
// to the test, and none may appear in the log; the request lines say who asked.
import { afterAll, beforeAll, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { csrfToken } from '../../../api/auth.js';
import { FixedClock } from '../../../domain/clock.js';
import { OPERATOR } from '../../../domain/model.js';
import { buildContainer, type Container } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { exampleOrganisation, tempDir, TEST_OUTBOUND, type RunningServer } from '../../helpers/fixtures.js';
import { oidcSignIn, startOidcConnection, type OidcTestProvider } from '../../helpers/oidc-provider.js';
import { serveApp } from '../../helpers/operations.js';
import { tokenIn } from '../../helpers/people.js';
import { startSamlIdp, type SamlIdp } from '../../helpers/saml-idp.js';
import { startSmtp, type TestSmtpServer } from '../../helpers/smtp.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhook-receiver.js';

const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const OIDC_CLIENT_SECRET = 'oidc-client-secret-7f3a9c';
const SMTP_PASSWORD = 'smtp-password-51d2e8';

interface LogLine {
  readonly msg: string;
  readonly [key: string]: unknown;
}

let dir: string;
let c: Container;
let server: RunningServer;
let smtp: TestSmtpServer;
let provider: OidcTestProvider;
let idp: SamlIdp;
let log = '';
let receiver: WebhookReceiver;
/** Every secret the scenario handled, by what it is. */
const secrets: Record<string, string> = {};

const lines = (): LogLine[] =>
  log
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogLine);

const cookieOf = (res: Response) => {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('seatkeeper_session='));
  assert.ok(cookie, 'a session cookie was set');
  return cookie.split(';')[0]!;
};

beforeAll(async () => {
  dir = tempDir();
  smtp = await startSmtp({ auth: { user: 'mailer', pass: SMTP_PASSWORD } });
  const clock = new FixedClock(new Date().toISOString());
  c = await buildContainer({
    config: {
      databasePath: join(dir, 'seatkeeper.db'),
      dbBusyTimeoutMs: 5000,
      quoteTtlSeconds: 900,
      mail: { smtpUrl: smtp.url },
      webhooks: { allowHttp: true, pollIntervalSeconds: 0 },
      outbound: TEST_OUTBOUND,
    },
    clock,
    logger: createLogger('trace', { write: (chunk: string) => void (log += chunk) }),
  });
  const { organisation, primaryOwner } = await c.organisations.create(
    exampleOrganisation({
      termStart: new Date().toISOString().slice(0, 10),
      seats: { standard: 20, premium: 0 },
    }),
    OPERATOR,
  );
  await c.seats.acceptInvitation(organisation.id, primaryOwner.id, OPERATOR);
  await c.directory.setProvisioningMode(organisation.id, 'jit', OPERATOR);
  server = await serveApp(c);

  const started = await startOidcConnection({
    sso: c.sso,
    organisationId: organisation.id,
    serverUrls: [server.url],
    accounts: { ada: { email: 'ada@acme.example', email_verified: true } },
    clientSecret: OIDC_CLIENT_SECRET,
  });
  provider = started.provider;
  const oidc = started.connection;
  idp = startSamlIdp({
    spMetadata: `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="sp"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${server.url}/acs" index="0"/></SPSSODescriptor></EntityDescriptor>`,
    now: () => clock.now(),
  });
  const saml = await c.sso.createConnection(
    organisation.id,
    {
      protocol: 'saml',
      name: 'Acme SAML',
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpCerts: [idp.certPem],
    },
    OPERATOR,
  );

  // 1. The identity provider creates a user over SCIM.
  const scim = await c.scimTokens.create(organisation.id, 'idp', OPERATOR);
  secrets['SCIM token'] = scim.token;
  const created = await fetch(`${server.url}/scim/v2/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ userName: 'scim@acme.example', emails: [{ value: 'scim@acme.example' }] }),
  });
  assert.equal(created.status, 201);

  // 2. A script invites someone through the admin API with an API token.
  const api = await c.apiTokens.create(organisation.id, { name: 'script', role: 'owner' }, OPERATOR);
  secrets['API token'] = api.token;
  receiver = await startWebhookReceiver();
  const hook = await fetch(`${server.url}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url, events: ['*'] }),
  });
  const hookBody = await hook.text();
  assert.equal(hook.status, 201, hookBody);
  secrets['webhook signing secret'] = (JSON.parse(hookBody) as { secret: string }).secret;
  const invited = await fetch(`${server.url}/api/v1/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'invitee@acme.example', role: 'user' }),
  });
  assert.equal(invited.status, 201, await invited.text());

  // 3. An OpenID Connect sign-in, then the console's session call with the cookie.
  const { response: signedIn, callback } = await oidcSignIn(
    provider,
    `${server.url}/sso/start?connection=${oidc.publicId}`,
    'ada',
  );
  secrets['OIDC authorization code'] = callback.searchParams.get('code')!;
  assert.equal(signedIn.status, 303, await signedIn.text());
  const cookie = cookieOf(signedIn);
  secrets['session cookie'] = cookie.split('=')[1]!;
  const session = await fetch(`${server.url}/api/v1/session`, { headers: { cookie } });
  assert.equal(session.status, 200);
  secrets['CSRF token'] = csrfToken(decodeURIComponent(secrets['session cookie']));

  // 4. A SAML sign-in: the IdP's signed response posted to the ACS.
  const samlStart = await fetch(`${server.url}/sso/start?connection=${saml.publicId}`, {
    redirect: 'manual',
  });
  const acs = `${server.url}/sso/saml/${saml.publicId}/acs`;
  const form = await idp.respond(
    samlStart.headers.get('location')!,
    { nameId: 'eve-id', attributes: { [EMAIL]: 'eve@acme.example' } },
    { audience: `${server.url}/sso/saml/${saml.publicId}`, recipient: acs, destination: acs },
  );
  secrets['SAML response'] = form.SAMLResponse;
  const posted = await fetch(acs, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  assert.equal(posted.status, 303, await posted.text());
  secrets['SAML session cookie'] = cookieOf(posted).split('=')[1]!;

  // 5. The invitation mail, over SMTP with a password, and the links it carries.
  const run = await c.mail.runOnce();
  assert.equal(run.delivered, 2, JSON.stringify(run));
  for (const mail of smtp.messages)
    secrets[`link in the mail to ${mail.envelopeTo.join()}`] = tokenIn(mail.text);
  // 6. Webhooks: refused once by the receiver (logged as a warning), then delivered.
  receiver.answer(500);
  assert.ok((await c.webhookWorker.runOnce()).retried > 0);
  receiver.answer(200);
  clock.advance({ hours: 2 });
  assert.ok((await c.webhookWorker.runOnce()).delivered > 0);
  secrets['OIDC client secret'] = OIDC_CLIENT_SECRET;
  secrets['SMTP password'] = SMTP_PASSWORD;
});

afterAll(async () => {
  idp.close();
  await provider.close();
  await server.close();
  await smtp.close();
  await receiver.close();
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

test('When the whole scenario is logged at trace, then no token, cookie, SAML response, password or client secret appears in the log', () => {
  assert.ok(log.length > 0);
  for (const [what, secret] of Object.entries(secrets)) {
    assert.ok(secret.length >= 8, `${what} is a real secret`);
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      assert.ok(!log.includes(form), `the ${what} appears in the log`);
    }
  }
  // Nothing of the SAML exchange is logged, encoded or not.
  const decoded = Buffer.from(secrets['SAML response']!, 'base64').toString('utf8');
  assert.match(decoded, /Assertion/);
  assert.doesNotMatch(log, /SAMLResponse=|<(saml2?:|samlp:)?(Assertion|Response)\b/);
});

test('When requests are logged at trace, then their credential headers are shown as redacted', () => {
  const scim = lines().find((l) => l.msg === 'request' && l.route === '/scim/v2/Users');
  assert.ok(scim, 'the SCIM request is logged');
  const headers = (scim.req as { headers: Record<string, string> }).headers;
  assert.equal(headers.authorization, '[redacted]');
  const session = lines().find((l) => l.msg === 'request' && l.route === '/api/v1/session');
  assert.equal((session?.req as { headers: Record<string, string> }).headers.cookie, '[redacted]');
  const signIn = lines().find((l) => l.msg === 'request' && l.route === '/sso/oidc/callback');
  assert.equal((signIn?.res as { headers: Record<string, unknown> }).headers['set-cookie'], '[redacted]');
});

test('When a request is logged, then its line carries the request id, the route, the organisation and the actor', () => {
  const requests = lines().filter((l) => l.msg === 'request');
  const by = (route: string) => requests.find((l) => l.route === route)!;
  for (const line of requests) assert.match(String(line.requestId), /^[0-9a-f-]{36}$/);
  assert.match(String(by('/scim/v2/Users').actor), /^scim_token:\d+$/);
  assert.match(String(by('/api/v1/invitations').actor), /^api_token:\d+$/);
  assert.match(String(by('/api/v1/session').actor), /^member:\d+$/);
  assert.match(String(by('/sso/oidc/callback').actor), /^member:\d+$/);
  assert.match(String(by('/sso/saml/:connection/acs').actor), /^member:\d+$/);
  for (const route of ['/scim/v2/Users', '/api/v1/invitations', '/sso/oidc/callback']) {
    assert.equal(typeof by(route).organisationId, 'number', route);
  }
  assert.equal(by('/sso/oidc/callback').path, '/sso/oidc/callback', 'the query (code, state) is not logged');
});
