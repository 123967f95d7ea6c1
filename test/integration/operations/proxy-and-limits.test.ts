// Behind a TLS-terminating proxy: X-Forwarded-Proto and X-Forwarded-For count only from a proxy
// TRUST_PROXY names, and session cookies are Secure exactly when the request came over https.
// And every protocol refuses an oversized body with 413 in its own error form.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FixedClock } from '../../../domain/clock.js';
import { OPERATOR } from '../../../domain/model.js';
import { buildContainer, type Container } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { exampleOrganisation, tempDir, TEST_OUTBOUND, type RunningServer } from '../../helpers/fixtures.js';
import { oidcSignIn, startOidcProvider, type OidcTestProvider } from '../../helpers/oidc-provider.js';
import { serveApp } from '../../helpers/operations.js';
import { tokenIn } from '../../helpers/people.js';
import { makeSigningKey } from '../../helpers/saml-idp.js';

let dir: string;
let c: Container;
let log = '';
let orgId: number;
let apiToken: string;
/** TRUST_PROXY unset, and TRUST_PROXY=loopback (the test's requests come from 127.0.0.1). */
let direct: RunningServer;
let proxied: RunningServer;

beforeAll(async () => {
  dir = tempDir();
  c = await buildContainer({
    config: {
      databasePath: join(dir, 'seatkeeper.db'),
      dbBusyTimeoutMs: 5000,
      quoteTtlSeconds: 900,
      outbound: TEST_OUTBOUND,
    },
    clock: new FixedClock(new Date().toISOString()),
    logger: createLogger('info', { write: (chunk: string) => void (log += chunk) }),
  });
  const { organisation, primaryOwner } = await c.organisations.create(
    exampleOrganisation({
      termStart: new Date().toISOString().slice(0, 10),
      seats: { standard: 20, premium: 0 },
    }),
    OPERATOR,
  );
  orgId = organisation.id;
  await c.seats.acceptInvitation(orgId, primaryOwner.id, OPERATOR);
  await c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
  apiToken = (await c.apiTokens.create(orgId, { name: 'script', role: 'owner' }, OPERATOR)).token;
  direct = await serveApp(c);
  proxied = await serveApp(c, { trustProxy: ['loopback'] });
});

afterAll(async () => {
  await direct.close();
  await proxied.close();
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh invitation, made through the API; the secret of its mailed link. */
async function invitationSecret(email: string): Promise<string> {
  const res = await fetch(`${direct.url}/api/v1/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, role: 'user' }),
  });
  assert.equal(res.status, 201, await res.text());
  const mail = (await c.store.read((q) => q.outbox.list(0, 1000)))
    .filter((m) => m.recipient === email)
    .at(-1)!;
  return tokenIn(mail.text);
}

/** Accepts an invitation on `server`, as if through a proxy when `headers` say so; the Set-Cookie. */
async function accept(server: RunningServer, email: string, headers: Record<string, string>) {
  const res = await fetch(`${server.url}/api/v1/invitations/accept`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': `accept-${email.split('@')[0]!}`,
      ...headers,
    },
    body: JSON.stringify({ token: await invitationSecret(email) }),
  });
  assert.equal(res.status, 200, await res.text());
  return res.headers.getSetCookie().find((h) => h.startsWith('seatkeeper_session='))!;
}

const requestLine = (requestId: string) =>
  log
    .split('\n')
    .filter((l) => l.includes(`"requestId":"${requestId}"`))
    .map((l) => JSON.parse(l) as { ip: string })[0]!;

const viaHttps = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };

describe('Behind a proxy', () => {
  test('When TRUST_PROXY is off, then X-Forwarded-Proto: https does not make the session cookie Secure, and X-Forwarded-For is not the client address', async () => {
    const cookie = await accept(direct, 'one@acme.example', viaHttps);
    assert.match(cookie, /HttpOnly/i);
    assert.doesNotMatch(cookie, /;\s*Secure/i);
    assert.equal(requestLine('accept-one').ip, '127.0.0.1');
  });

  test('When TRUST_PROXY names the proxy and it forwards an https request, then the cookie is Secure and the client address is the forwarded one', async () => {
    const cookie = await accept(proxied, 'two@acme.example', viaHttps);
    assert.match(cookie, /;\s*Secure/i);
    assert.equal(requestLine('accept-two').ip, '203.0.113.7');
  });

  test('When TRUST_PROXY names the proxy but the request came over plain http, then the cookie is not Secure', async () => {
    const cookie = await accept(proxied, 'three@acme.example', { 'x-forwarded-proto': 'http' });
    assert.doesNotMatch(cookie, /;\s*Secure/i);
  });

  test('When an OpenID Connect sign-in comes back through a trusted proxy over https, then the SSO session cookie is Secure, and not without the trust', async () => {
    const provider: OidcTestProvider = await startOidcProvider({
      accounts: {
        ada: { email: 'ada@acme.example', email_verified: true },
        bob: { email: 'bob@acme.example', email_verified: true },
      },
      clients: [
        {
          client_id: 'seatkeeper',
          client_secret: 'secret-of-the-client',
          redirect_uris: [direct, proxied].map((s) => `${s.url}/sso/oidc/callback`),
        },
      ],
    });
    try {
      const connection = await c.sso.createConnection(
        orgId,
        {
          protocol: 'oidc',
          name: 'Acme',
          issuer: provider.issuer,
          clientId: 'seatkeeper',
          clientSecret: 'secret-of-the-client',
        },
        OPERATOR,
      );
      const signIn = async (server: RunningServer, account: string) => {
        const { response: back } = await oidcSignIn(
          provider,
          `${server.url}/sso/start?connection=${connection.publicId}`,
          account,
          viaHttps,
        );
        assert.equal(back.status, 303, await back.text());
        return back.headers.getSetCookie().find((h) => h.startsWith('seatkeeper_session='))!;
      };
      assert.match(await signIn(proxied, 'ada'), /;\s*Secure/i);
      assert.doesNotMatch(await signIn(direct, 'bob'), /;\s*Secure/i);
    } finally {
      await provider.close();
    }
  });
});

describe('Body limits', () => {
  test('When a SCIM request body is over 1 MiB, then the answer is 413 as a SCIM error', async () => {
    const token = (await c.scimTokens.create(orgId, 'idp', OPERATOR)).token;
    const res = await fetch(`${direct.url}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ userName: 'big@acme.example', padding: 'x'.repeat(1_100_000) }),
    });
    assert.equal(res.status, 413);
    assert.match(String(res.headers.get('content-type')), /^application\/scim\+json/);
    const body = (await res.json()) as { schemas: string[]; status: string };
    assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(body.status, '413');
  });

  test('When an admin API request body is over 64 kB, then the answer is a 413 problem document', async () => {
    const res = await fetch(`${direct.url}/api/v1/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'big@acme.example', role: 'user', displayName: 'x'.repeat(70_000) }),
    });
    assert.equal(res.status, 413);
    assert.match(String(res.headers.get('content-type')), /^application\/problem\+json/);
    const problem = (await res.json()) as { status: number; code: string };
    assert.deepEqual([problem.status, problem.code], [413, 'body_too_large']);
  });

  test('When a SAML POST to the ACS is over 512 kB, then the answer is a 413 sign-in page', async () => {
    const key = makeSigningKey();
    try {
      const connection = await c.sso.createConnection(
        orgId,
        {
          protocol: 'saml',
          name: 'Acme SAML',
          idpEntityId: 'https://idp.test/saml',
          idpSsoUrl: 'https://idp.test/saml/sso',
          idpCerts: [key.certPem],
        },
        OPERATOR,
      );
      const res = await fetch(`${direct.url}/sso/saml/${connection.publicId}/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLResponse: 'A'.repeat(600_000), RelayState: 'x' }).toString(),
      });
      assert.equal(res.status, 413);
      assert.match(String(res.headers.get('content-type')), /^text\/html/);
      assert.match(await res.text(), /Sign-in failed/);
    } finally {
      key.cleanup();
    }
  });
});
