// OpenID Connect relying party for one connection (openid-client v6): discovery, the authorization
// request (PKCE S256, state, nonce) and the code exchange, ending in an ExternalIdentity. The caller
// keeps state / nonce / verifier server-side; nothing here touches the database.
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { Clock } from '../domain/clock.js';
import { OutboundRefusedError } from '../domain/errors.js';
import { findNul } from '../domain/nul.js';
import { createOutboundGuard } from '../net/outbound.js';
import { groupNames, type ExternalIdentity } from '../provisioning/identity.js';
import { SsoError, type SsoErrorCode } from './errors.js';

/** One OIDC connection as the adapter needs it (the stored JSON config plus the secret). */
export interface OidcConnectionConfig {
  readonly connectionId: number;
  /** The issuer identifier exactly as the provider states it (not the .well-known URL). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Our callback URL for this connection, as registered with the provider. */
  readonly redirectUri: string;
  /** Requested scopes; `openid` is always added. */
  readonly scopes: readonly string[];
  /** Claim names to read; unset entries use the standard claims (email, name, none for groups). */
  readonly claimMap: { readonly email?: string; readonly displayName?: string; readonly groups?: string };
  /** Allow http:// (loopback tests only; production is https only). */
  readonly allowInsecureHttp?: boolean;
}

export interface OidcDeps {
  /**
   * The clock ID-token times (exp, iat, nbf, auth_time) are checked against. openid-client reads
   * the system clock itself; the difference between the two is handed to it as `[client.clockSkew]`.
   */
  readonly clock: Clock;
  /** Tolerance for those checks, in seconds; openid-client's default is 30. */
  readonly clockToleranceSeconds?: number;
  /**
   * Sends every request to the provider (discovery, JWKS, token, UserInfo): the outbound guard's
   * fetch (net/outbound.ts), which refuses loopback and private addresses unless OUTBOUND_ALLOWLIST
   * allows them and connects only to the address it checked. Unset: a guard that allows none.
   */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** The guard used when the caller gives none: no private address is allowed. */
const strictGuard = createOutboundGuard({ allowlist: [] });

/** True when the request was refused by the outbound guard (openid-client may wrap the error). */
function refusedByGuard(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof OutboundRefusedError) return true;
  }
  return false;
}

/** What the caller must keep server-side (keyed by `state`) between start and callback. */
export interface OidcLoginState {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export const OIDC_CLOCK_TOLERANCE_SECONDS = 30;
/** Entra's ID-token claim when the user is in too many groups to list (> 200 in a JWT). */
const OVERAGE_CLAIM_NAMES = '_claim_names';

// ---------------------------------------------------------------------------------------------
// Discovery, cached per connection

interface CachedConfiguration {
  readonly key: string;
  readonly fetch: NonNullable<OidcDeps['fetch']>;
  readonly configuration: Promise<client.Configuration>;
}
const configurations = new Map<number, CachedConfiguration>();

/**
 * The provider's configuration for this connection, from OpenID discovery on the issuer URL
 * (openid-client#893: passing the .well-known URL skips Entra's {tenantid} handling). Cached per
 * connection; a change of issuer, client or secret, or of the clock's offset, discovers again, and
 * a failed discovery is not cached. Failures are SsoError 'oidc_provider_error' (502).
 */
export async function discover(config: OidcConnectionConfig, deps: OidcDeps): Promise<client.Configuration> {
  // openid-client checks times against Date.now() + clockSkew (seconds): make that the injected
  // clock's "now". Zero for the system clock; whole seconds, so it is stable between calls.
  const skew = Math.round((deps.clock.now().toMillis() - Date.now()) / 1000);
  const tolerance = deps.clockToleranceSeconds ?? OIDC_CLOCK_TOLERANCE_SECONDS;
  const secretHash = createHash('sha256').update(config.clientSecret).digest('hex');
  const key = JSON.stringify([
    config.issuer,
    config.clientId,
    secretHash,
    !!config.allowInsecureHttp,
    skew,
    tolerance,
  ]);
  const fetch = deps.fetch ?? strictGuard.fetch;
  // openid-client calls it with (url, options) as fetch() is called; it never follows a redirect.
  const customFetch = fetch as client.CustomFetch;
  const cached = configurations.get(config.connectionId);
  if (cached?.key === key && cached.fetch === fetch) return cached.configuration;

  const configuration = (async () => {
    let issuer: URL;
    try {
      issuer = new URL(config.issuer);
    } catch (err) {
      throw new SsoError('oidc_provider_error', {
        cause: err,
        details: { connectionId: config.connectionId },
      });
    }
    const metadata: Partial<client.ClientMetadata> = {
      client_secret: config.clientSecret,
      [client.clockSkew]: skew,
      [client.clockTolerance]: tolerance,
    };
    try {
      const discovered = await client.discovery(issuer, config.clientId, metadata, undefined, {
        [client.customFetch]: customFetch,
        ...(config.allowInsecureHttp ? { execute: [client.allowInsecureRequests] } : {}),
      });
      // RFC 8414 §2: client_secret_basic when the provider lists nothing; post only if basic is not offered.
      const methods = discovered.serverMetadata().token_endpoint_auth_methods_supported;
      const auth =
        !methods || methods.includes('client_secret_basic')
          ? client.ClientSecretBasic(config.clientSecret)
          : client.ClientSecretPost(config.clientSecret);
      const withAuth = new client.Configuration(discovered.serverMetadata(), config.clientId, metadata, auth);
      if (config.allowInsecureHttp) client.allowInsecureRequests(withAuth);
      withAuth[client.customFetch] = customFetch;
      // openid-client skips the ID token's signature when it comes straight from the token endpoint
      // (OIDC Core §3.1.3.7 lets TLS stand in for it). Verify it against the provider's JWKS anyway.
      client.enableNonRepudiationChecks(withAuth);
      return withAuth;
    } catch (err) {
      throw new SsoError(refusedByGuard(err) ? 'oidc_provider_refused' : 'oidc_provider_error', {
        cause: err,
        details: { connectionId: config.connectionId },
      });
    }
  })();
  configurations.set(config.connectionId, { key, fetch, configuration });
  configuration.catch(() => {
    if (configurations.get(config.connectionId)?.configuration === configuration) {
      configurations.delete(config.connectionId);
    }
  });
  return configuration;
}

/** Drops the cached discovery of a connection (after its settings change or it is deleted). */
export function forgetOidcConnection(connectionId: number): void {
  configurations.delete(connectionId);
}

// ---------------------------------------------------------------------------------------------
// Sign-in

/**
 * The authorization URL to send the browser to, and the three values to keep server-side keyed by
 * `state` until the callback: the PKCE verifier (S256 challenge in the URL), state and nonce.
 */
export async function startOidcLogin(
  config: OidcConnectionConfig,
  deps: OidcDeps,
): Promise<OidcLoginState & { redirectUrl: string }> {
  const configuration = await discover(config, deps);
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const scope = [...new Set(['openid', ...config.scopes])].join(' ');
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: config.redirectUri,
    scope,
    response_type: 'code',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { redirectUrl: url.href, state, nonce, codeVerifier };
}

/**
 * Completes the sign-in from the callback URL. openid-client checks, and failures map to codes:
 * the `iss` response parameter (RFC 9207) and the ID token's `iss` → oidc_issuer_mismatch; `state`
 * → oidc_state_mismatch; PKCE (the provider refuses the code) → oidc_code_rejected; the ID token's
 * signature (provider JWKS) → oidc_token_invalid, `aud`/`azp` → oidc_audience_mismatch, `nonce` →
 * oidc_nonce_mismatch, `exp`/`iat`/`nbf` on the injected clock → oidc_token_expired; an error
 * redirect (access_denied …) → oidc_access_denied; anything from the network or a 5xx →
 * oidc_provider_error (502).
 *
 * Only the query of `callbackUrl` is used: the redirect_uri sent to the token endpoint is always
 * the configured one (a proxy in front of us must not change it).
 *
 * Claims are read from the validated ID token and, when a claim the connection reads (address,
 * name, groups) is not in it, from the UserInfo endpoint: in the code flow a provider may release
 * the claims of the `email` and `profile` scopes there only (OIDC Core §5.4; oidc-provider does so
 * by default, Okta and Auth0 in many set-ups). UserInfo is asked with the access token, and its
 * `sub` must be the ID token's (§5.3.2) → otherwise oidc_userinfo_mismatch; any other failure there
 * → oidc_userinfo_failed (502). Each claim comes from the ID token when it is there, else from
 * UserInfo.
 *
 * `emailVerified` is `email_verified === true`, or Entra's `xms_edov === true` (Entra never sends
 * email_verified for work accounts), read from the same source as the address, and only when the
 * address is the `email` claim itself: both flags speak of that claim (OIDC Core §5.1), never of
 * another claim a connection maps the address from (`upn`, `preferred_username`).
 * Groups: the mapped claim (a string or a list); absent → []; no claim mapped → 'unknown'; Entra's
 * overage indicator (`_claim_names.groups`) → 'unknown'.
 */
export async function completeOidcLogin(
  config: OidcConnectionConfig,
  callbackUrl: URL,
  saved: OidcLoginState,
  deps: OidcDeps,
): Promise<ExternalIdentity> {
  const configuration = await discover(config, deps);
  const current = new URL(config.redirectUri);
  current.search = callbackUrl.search;
  current.hash = '';

  let claims: client.IDToken | undefined;
  let accessToken: string;
  try {
    const tokens = await client.authorizationCodeGrant(configuration, current, {
      expectedState: saved.state,
      expectedNonce: saved.nonce,
      pkceCodeVerifier: saved.codeVerifier,
      idTokenExpected: true,
    });
    claims = tokens.claims();
    accessToken = tokens.access_token;
  } catch (err) {
    throw new SsoError(oidcErrorCode(err), { cause: err, details: { connectionId: config.connectionId } });
  }
  if (!claims) throw new SsoError('oidc_token_invalid', { details: { connectionId: config.connectionId } });
  const idToken: Claims = claims;
  const userInfo =
    missingClaims(config, idToken) && configuration.serverMetadata().userinfo_endpoint
      ? await fetchClaims(configuration, config, accessToken, claims.sub)
      : undefined;
  return identityFrom(config, claims.sub, idToken, userInfo);
}

type Claims = Readonly<Record<string, unknown>>;

const has = (claims: Claims, name: string): boolean =>
  Object.prototype.hasOwnProperty.call(claims, name) && claims[name] !== undefined && claims[name] !== null;

/** True when the groups claim is announced as left out (Entra's overage: `_claim_names`). */
function groupsOverage(claims: Claims, groupsClaim: string): boolean {
  const claimNames = claims[OVERAGE_CLAIM_NAMES];
  return (
    typeof claimNames === 'object' &&
    claimNames !== null &&
    Object.prototype.hasOwnProperty.call(claimNames, groupsClaim)
  );
}

/** True when the ID token lacks a claim the connection reads: the address, a name, or its groups. */
function missingClaims(config: OidcConnectionConfig, idToken: Claims): boolean {
  const groupsClaim = config.claimMap.groups;
  return (
    !has(idToken, config.claimMap.email ?? 'email') ||
    (!has(idToken, config.claimMap.displayName ?? 'name') &&
      !has(idToken, 'given_name') &&
      !has(idToken, 'family_name')) ||
    (groupsClaim !== undefined && !has(idToken, groupsClaim) && !groupsOverage(idToken, groupsClaim))
  );
}

/** The UserInfo response (OIDC Core §5.3), for the subject the ID token names (§5.3.2). */
async function fetchClaims(
  configuration: client.Configuration,
  config: OidcConnectionConfig,
  accessToken: string,
  subject: string,
): Promise<Claims> {
  try {
    return await client.fetchUserInfo(configuration, accessToken, subject);
  } catch (err) {
    const mismatch =
      err instanceof client.ClientError && err.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
    throw new SsoError(mismatch ? 'oidc_userinfo_mismatch' : 'oidc_userinfo_failed', {
      cause: err,
      details: { connectionId: config.connectionId },
    });
  }
}

function identityFrom(
  config: OidcConnectionConfig,
  subject: string,
  idToken: Claims,
  userInfo: Claims | undefined,
): ExternalIdentity {
  const str = (value: unknown): string | null =>
    typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
  /** The source of a claim: the ID token when it has it, else UserInfo. */
  const from = (name: string): Claims => (has(idToken, name) || !userInfo ? idToken : userInfo);
  const emailClaim = config.claimMap.email ?? 'email';
  const emailSource = from(emailClaim);
  const email = str(emailSource[emailClaim]);
  // The flags vouch for the address only where they sit beside it (OIDC Core §5.1, §5.3.2).
  const emailVerified =
    email !== null &&
    emailClaim === 'email' &&
    (emailSource.email_verified === true || emailSource['xms_edov'] === true);
  const nameClaim = config.claimMap.displayName ?? 'name';
  const displayName =
    str(from(nameClaim)[nameClaim]) ??
    ([str(from('given_name').given_name), str(from('family_name').family_name)].filter(Boolean).join(' ') ||
      null);

  let groups: readonly string[] | 'unknown';
  const groupsClaim = config.claimMap.groups;
  // The overage indicator speaks for the source it is in: the ID token's wins, as the claim would.
  const groupsSource =
    groupsClaim === undefined || has(idToken, groupsClaim) || groupsOverage(idToken, groupsClaim)
      ? idToken
      : (userInfo ?? idToken);
  if (groupsClaim === undefined || groupsOverage(groupsSource, groupsClaim)) groups = 'unknown';
  else {
    const raw = groupsSource[groupsClaim];
    const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
    groups = groupNames(list);
  }

  const identity: ExternalIdentity = {
    connectionId: config.connectionId,
    subject,
    email,
    emailVerified,
    displayName,
    groups,
  };
  // U+0000 in anything that would be stored or looked up: refused on either backend.
  if (findNul(identity) !== undefined) {
    throw new SsoError('nul_character', { details: { connectionId: config.connectionId } });
  }
  return identity;
}

/** openid-client v6 / oauth4webapi errors → our codes (see completeOidcLogin). */
function oidcErrorCode(err: unknown): SsoErrorCode {
  if (refusedByGuard(err)) return 'oidc_provider_refused';
  if (err instanceof client.AuthorizationResponseError) return 'oidc_access_denied';
  if (err instanceof client.ResponseBodyError) {
    return err.status >= 500 ? 'oidc_provider_error' : 'oidc_code_rejected';
  }
  if (!(err instanceof client.ClientError)) return 'oidc_provider_error';
  const detail = err.cause instanceof Error ? err.cause : null;
  const detailMessage = detail?.message ?? err.message;
  const claim = (detail?.cause as { claim?: unknown } | undefined)?.claim;
  switch (err.code) {
    case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      if (claim === 'nonce') return 'oidc_nonce_mismatch';
      if (claim === 'iss') return 'oidc_issuer_mismatch';
      if (claim === 'aud' || claim === 'azp') return 'oidc_audience_mismatch';
      return 'oidc_token_invalid';
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      return 'oidc_token_expired';
    case 'OAUTH_INVALID_RESPONSE':
      if (/"state"/.test(detailMessage)) return 'oidc_state_mismatch';
      if (/"iss"/.test(detailMessage)) return 'oidc_issuer_mismatch';
      return 'oidc_token_invalid';
    case 'OAUTH_KEY_SELECTION_FAILED':
    case 'OAUTH_INVALID_SIGNATURE':
    case 'OAUTH_UNSUPPORTED_OPERATION':
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      return 'oidc_token_invalid';
    default:
      return 'oidc_provider_error';
  }
}
