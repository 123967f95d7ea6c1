// The OpenID Connect adapter against a real OpenID Provider (oidc-provider on 127.0.0.1): discovery,
// the code flow with PKCE through the provider's own login form, and every callback to refuse. The
// provider runs in its default, conforming configuration (the scopes' claims only from UserInfo,
// OIDC Core §5.4); one lenient provider puts them in the ID token as well.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { FixedClock, systemClock } from '../../../domain/clock.js';
import { ssoErrorStatus } from '../../../sso/error-page.js';
import { SsoError } from '../../../sso/errors.js';
import {
  completeOidcLogin,
  discover,
  forgetOidcConnection,
  startOidcLogin,
  type OidcConnectionConfig,
  type OidcDeps,
} from '../../../sso/oidc.js';
import { createOutboundGuard } from '../../../net/outbound.js';
import { TEST_OUTBOUND } from '../../helpers/fixtures.js';
import { startOidcProvider, type OidcTestProvider } from '../../helpers/oidc-provider.js';

const REDIRECT = 'http://127.0.0.1:9/sso/oidc/1/callback'; // never called: the test reads the URL
const OTHER_REDIRECT = 'http://127.0.0.1:9/other-app/callback';

const accounts = {
  alice: {
    email: 'alice@acme.test',
    email_verified: true,
    name: 'Alice Example',
    groups: ['engineering', 'admins'],
  },
  unverified: { email: 'bob@acme.test', email_verified: false, given_name: 'Bob', family_name: 'Builder' },
  entra: { email: 'carol@acme.test', xms_edov: true, name: 'Carol' },
  overage: {
    email: 'dave@acme.test',
    email_verified: true,
    _claim_names: { groups: 'src1' },
    _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } },
  },
  nogroups: { email: 'erin@acme.test', email_verified: true },
  // A verified personal address, and a work-looking address in another claim.
  mapped: { email: 'mallory@personal.test', email_verified: true, name: 'owner@acme.test' },
};

async function rejects(promise: Promise<unknown>, code: string, status = 401) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SsoError, `expected SsoError, got ${String(err)}`);
    assert.equal(err.code, code, `code (library said: ${String((err.cause as Error | undefined)?.message)})`);
    assert.equal(ssoErrorStatus(err), status);
    return true;
  });
}

describe('OIDC adapter against oidc-provider', () => {
  let op: OidcTestProvider;
  let other: OidcTestProvider;
  let lenient: OidcTestProvider;
  let config: OidcConnectionConfig;
  // The provider listens on 127.0.0.1: allowed as the tests' OUTBOUND_ALLOWLIST allows it.
  const deps: OidcDeps = { clock: systemClock, fetch: createOutboundGuard(TEST_OUTBOUND).fetch };

  beforeAll(async () => {
    const clients = [
      { client_id: 'seatkeeper', client_secret: 'seatkeeper-secret', redirect_uris: [REDIRECT] },
      { client_id: 'other-app', client_secret: 'other-secret', redirect_uris: [OTHER_REDIRECT] },
    ];
    [op, other, lenient] = await Promise.all([
      startOidcProvider({ accounts, clients }),
      startOidcProvider({ accounts, clients }),
      startOidcProvider({ accounts, clients, conformIdTokenClaims: false }),
    ]);
    config = {
      connectionId: 1,
      issuer: op.issuer,
      clientId: 'seatkeeper',
      clientSecret: 'seatkeeper-secret',
      redirectUri: REDIRECT,
      scopes: ['email', 'profile', 'groups'],
      claimMap: { groups: 'groups' },
      allowInsecureHttp: true,
    };
  });
  afterAll(async () => {
    await Promise.all([op.close(), other.close(), lenient.close()]);
  });

  async function signIn(accountId: string, cfg = config) {
    const started = await startOidcLogin(cfg, deps);
    const callback = await op.login(started.redirectUrl, accountId);
    return { started, callback };
  }

  describe('the code flow', () => {
    test('When discovery runs, then the configuration is the issuer’s and is cached per connection', async () => {
      const first = await discover(config, deps);
      assert.equal(first.serverMetadata().issuer, op.issuer);
      assert.equal(await discover(config, deps), first);
      assert.notEqual(await discover({ ...config, connectionId: 2 }, deps), first);
      forgetOidcConnection(2);
    });

    test('When a sign-in starts, then the authorization URL carries PKCE S256, state, nonce and the scopes', async () => {
      const started = await startOidcLogin(config, deps);
      const url = new URL(started.redirectUrl);
      assert.equal(url.origin, op.issuer);
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(url.searchParams.get('code_challenge'), started.codeVerifier);
      assert.equal(url.searchParams.get('state'), started.state);
      assert.equal(url.searchParams.get('nonce'), started.nonce);
      assert.equal(url.searchParams.get('client_id'), 'seatkeeper');
      assert.equal(url.searchParams.get('redirect_uri'), REDIRECT);
      assert.equal(url.searchParams.get('scope'), 'openid email profile groups');
    });

    test('When the address is mapped from another claim than email, then email_verified does not vouch for it', async () => {
      const mappedConfig = { ...config, claimMap: { ...config.claimMap, email: 'name' } };
      const { started, callback } = await signIn('mapped', mappedConfig);
      const identity = await completeOidcLogin(mappedConfig, callback, started, deps);
      assert.equal(identity.email, 'owner@acme.test');
      assert.equal(identity.emailVerified, false, 'email_verified speaks of the email claim only');
    });

    test('When the provider releases the scopes’ claims by UserInfo only (its default), then the identity comes from UserInfo', async () => {
      const { started, callback } = await signIn('alice');
      assert.equal(callback.origin + callback.pathname, REDIRECT);
      assert.equal(callback.searchParams.get('iss'), op.issuer);
      const asked = op.userInfoRequests;
      const identity = await completeOidcLogin(config, callback, started, deps);
      assert.deepEqual(identity, {
        connectionId: 1,
        subject: 'alice',
        email: 'alice@acme.test',
        emailVerified: true,
        displayName: 'Alice Example',
        groups: ['engineering', 'admins'],
      });
      assert.equal(op.userInfoRequests, asked + 1, 'UserInfo asked once');
    });

    test('When a lenient provider puts the claims in the ID token, then the identity comes from it and UserInfo is not asked', async () => {
      const lenientConfig = { ...config, connectionId: 3, issuer: lenient.issuer };
      const started = await startOidcLogin(lenientConfig, deps);
      const callback = await lenient.login(started.redirectUrl, 'alice');
      const identity = await completeOidcLogin(lenientConfig, callback, started, deps);
      assert.deepEqual(identity, {
        connectionId: 3,
        subject: 'alice',
        email: 'alice@acme.test',
        emailVerified: true,
        displayName: 'Alice Example',
        groups: ['engineering', 'admins'],
      });
      assert.equal(lenient.userInfoRequests, 0);
      forgetOidcConnection(3);
    });

    test('When the ID token has the address but not email_verified, then UserInfo’s email_verified does not vouch for it', async () => {
      const { started, callback } = await signIn('alice');
      // Signed by the provider: the address only, as a provider asked for it by `claims` might send.
      op.tamperIdTokens((claims) => ({ ...claims, email: 'alice@acme.test' }));
      try {
        const identity = await completeOidcLogin(config, callback, started, deps);
        assert.equal(identity.email, 'alice@acme.test');
        assert.equal(identity.displayName, 'Alice Example', 'the name from UserInfo');
        assert.equal(identity.emailVerified, false, 'the flag is read beside the address it speaks of');
      } finally {
        op.tamperIdTokens(null);
      }
    });

    test('When the provider says email_verified false, then emailVerified is false (and the name comes from given/family)', async () => {
      const { started, callback } = await signIn('unverified');
      const identity = await completeOidcLogin(config, callback, started, deps);
      assert.equal(identity.email, 'bob@acme.test');
      assert.equal(identity.emailVerified, false);
      assert.equal(identity.displayName, 'Bob Builder');
    });

    test('When Entra-style xms_edov is true without email_verified, then emailVerified is true', async () => {
      const { started, callback } = await signIn('entra');
      assert.equal((await completeOidcLogin(config, callback, started, deps)).emailVerified, true);
    });

    test("When the token has Entra's groups overage indicator, then groups are 'unknown'", async () => {
      const { started, callback } = await signIn('overage');
      assert.equal((await completeOidcLogin(config, callback, started, deps)).groups, 'unknown');
    });

    test("When the groups claim is absent, then groups are empty; with no groups claim mapped, then 'unknown'", async () => {
      const first = await signIn('nogroups');
      assert.deepEqual((await completeOidcLogin(config, first.callback, first.started, deps)).groups, []);
      const unmapped = { ...config, claimMap: {} };
      const second = await signIn('alice', unmapped);
      assert.equal(
        (await completeOidcLogin(unmapped, second.callback, second.started, deps)).groups,
        'unknown',
      );
    });
  });

  describe('rejections', () => {
    test('When the callback carries another state, then oidc_state_mismatch', async () => {
      const { started, callback } = await signIn('alice');
      await rejects(
        completeOidcLogin(config, callback, { ...started, state: 'not-the-state' }, deps),
        'oidc_state_mismatch',
      );
    });

    test('When the ID token carries another nonce, then oidc_nonce_mismatch', async () => {
      const { started, callback } = await signIn('alice');
      await rejects(
        completeOidcLogin(config, callback, { ...started, nonce: 'not-the-nonce' }, deps),
        'oidc_nonce_mismatch',
      );
    });

    test('When the PKCE verifier is not the one the challenge was made from, then the provider refuses the code', async () => {
      const { started, callback } = await signIn('alice');
      const wrong = { ...started, codeVerifier: 'x'.repeat(43) };
      await rejects(completeOidcLogin(config, callback, wrong, deps), 'oidc_code_rejected');
    });

    test('When a code is used twice, then the provider refuses it the second time', async () => {
      const { started, callback } = await signIn('alice');
      await completeOidcLogin(config, callback, started, deps);
      await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_code_rejected');
    });

    test('When the callback comes from a second provider (mix-up, RFC 9207 iss), then oidc_issuer_mismatch', async () => {
      const started = await startOidcLogin(config, deps);
      const atOther = new URL(started.redirectUrl);
      const otherOrigin = new URL(other.issuer);
      atOther.protocol = otherOrigin.protocol;
      atOther.host = otherOrigin.host;
      const callback = await other.login(atOther, 'alice');
      assert.equal(callback.searchParams.get('iss'), other.issuer);
      await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_issuer_mismatch');
    });

    test('When the ID token (signed by the provider) names another issuer, then oidc_issuer_mismatch', async () => {
      const { started, callback } = await signIn('alice');
      op.tamperIdTokens((claims) => ({ ...claims, iss: other.issuer }));
      try {
        await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_issuer_mismatch');
      } finally {
        op.tamperIdTokens(null);
      }
    });

    test('When the ID token (signed by the provider) is for another client, then oidc_audience_mismatch', async () => {
      const { started, callback } = await signIn('alice');
      op.tamperIdTokens((claims) => ({ ...claims, aud: 'other-app' }));
      try {
        await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_audience_mismatch');
      } finally {
        op.tamperIdTokens(null);
      }
    });

    test('When the ID token is also for another client and azp is missing, then oidc_audience_mismatch', async () => {
      const { started, callback } = await signIn('alice');
      op.tamperIdTokens((claims) => ({ ...claims, aud: ['seatkeeper', 'other-app'] }));
      try {
        await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_audience_mismatch');
      } finally {
        op.tamperIdTokens(null);
      }
    });

    test('When the ID token is signed by a key that is not the provider’s, then oidc_token_invalid', async () => {
      const { started, callback } = await signIn('alice');
      op.tamperIdTokens((claims) => claims, { foreignKey: true });
      try {
        await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_token_invalid');
      } finally {
        op.tamperIdTokens(null);
      }
    });

    test('When the injected clock is past the ID token’s expiry, then oidc_token_expired', async () => {
      const { started, callback } = await signIn('alice');
      const late = new FixedClock(DateTime.utc().plus({ hours: 2 }));
      await rejects(
        completeOidcLogin(config, callback, started, { ...deps, clock: late }),
        'oidc_token_expired',
      );
    });

    test('When UserInfo describes another subject than the ID token, then oidc_userinfo_mismatch', async () => {
      const { started, callback } = await signIn('alice');
      op.tamperUserInfo((claims) => ({ ...claims, sub: 'mallory' }));
      try {
        await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_userinfo_mismatch');
      } finally {
        op.tamperUserInfo(null);
      }
    });

    test('When UserInfo fails, then oidc_userinfo_failed (502)', async () => {
      const { started, callback } = await signIn('alice');
      op.tamperUserInfo(() => {
        throw new Error('directory down');
      });
      try {
        await rejects(completeOidcLogin(config, callback, started, deps), 'oidc_userinfo_failed', 502);
      } finally {
        op.tamperUserInfo(null);
      }
    });

    test('When the provider cannot be reached, then oidc_provider_error (502)', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise((resolve) => closed.close(resolve));
      const gone = { ...config, connectionId: 99, issuer: `http://127.0.0.1:${port}` };
      await rejects(startOidcLogin(gone, deps), 'oidc_provider_error', 502);
    });
  });
});
