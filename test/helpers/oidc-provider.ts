// An offline OpenID Provider for tests: panva's oidc-provider (the certified implementation) in
// process on 127.0.0.1:0, with its development login form driven by fetch and a small cookie jar
// (without one the provider answers SessionNotFound). It runs in the provider's default, conforming
// configuration: in the code flow the claims of the email, profile and groups scopes are released by
// the UserInfo endpoint only (OIDC Core §5.4), as many real providers do; `conformIdTokenClaims:
// false` puts them in the ID token too. Knobs for negative tests: any claims per account
// (email_verified false, Entra's groups overage `_claim_names`), several clients, a hook that
// re-signs ID tokens with the provider's own key after changing their claims, and one that changes
// what UserInfo says.
import { generateKeyPairSync, sign as rsaSign, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container } from '../../server/container.js';
import { OPERATOR } from '../../domain/model.js';
import { OIDC_BROWSER_COOKIE } from '../../sso/router.js';

export interface OidcTestClient {
  readonly client_id: string;
  readonly client_secret: string;
  readonly redirect_uris: readonly string[];
}

export interface StartOidcProviderOptions {
  /** accountId → claims (sub is the accountId). Only claims of granted scopes are released. */
  readonly accounts: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly clients: readonly OidcTestClient[];
  /** ID token lifetime in seconds (oidc-provider's default is 3600). */
  readonly idTokenTtlSeconds?: number;
  /**
   * false: the scopes' claims go into the ID token as well (a lenient provider). Default: the
   * provider's own, conforming, where the code flow's ID token carries `sub` and little else.
   */
  readonly conformIdTokenClaims?: boolean;
}

export interface OidcTestProvider {
  /** http://127.0.0.1:<port> */
  readonly issuer: string;
  /**
   * Plays the browser: opens the authorization URL, signs in as `accountId` on the provider's
   * login form, and returns the URL the provider redirects back to (the client's redirect_uri with
   * code, state and iss). The provider grants every scope asked for, without a consent screen.
   */
  login(authorizationUrl: string | URL, accountId: string): Promise<URL>;
  /**
   * From now on, ID tokens are re-signed with the provider's key after `change` edits their claims
   * (e.g. another `aud` or `iss`): a token the real issuer signed, with the wrong contents. With
   * `foreignKey`, they are signed by another key under the provider's kid instead. null turns it off.
   */
  tamperIdTokens(
    change: ((claims: Record<string, unknown>) => Record<string, unknown>) | null,
    options?: { foreignKey?: boolean },
  ): void;
  /**
   * From now on, the UserInfo endpoint's answer is `change` applied to its claims (another `sub`);
   * a `change` that throws makes it answer 500. null turns it off.
   */
  tamperUserInfo(change: ((claims: Record<string, unknown>) => Record<string, unknown>) | null): void;
  /** UserInfo requests answered so far. */
  readonly userInfoRequests: number;
  close(): Promise<void>;
}

/** The part of oidc-provider this helper uses (the package ships no types). */
interface ProviderInstance {
  callback(): (req: unknown, res: unknown) => void;
  IdToken: { prototype: { issue: (this: unknown, options?: { use?: string }) => Promise<string> } };
  Grant: new (init: { clientId: string; accountId: string }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;
interface InteractionContext {
  oidc: {
    client: { clientId: string };
    session?: { accountId?: string };
    params?: { scope?: unknown };
    provider: ProviderInstance;
  };
}

const SCOPE_CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified', 'xms_edov'],
  profile: ['name', 'given_name', 'family_name'],
  groups: ['groups'],
};

export async function startOidcProvider(options: StartOidcProviderOptions): Promise<OidcTestProvider> {
  // oidc-provider is ESM without type declarations: import it through a widened specifier.
  const specifier: string = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as { default: ProviderConstructor };

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const jwk: JsonWebKey = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({ ...c, redirect_uris: [...c.redirect_uris] })),
    jwks: { keys: [jwk] },
    claims: SCOPE_CLAIMS,
    scopes: Object.keys(SCOPE_CLAIMS),
    cookies: { keys: [randomBytes(16).toString('hex')] },
    features: { devInteractions: { enabled: true } },
    ...(options.conformIdTokenClaims === false ? { conformIdTokenClaims: false } : {}),
    ...(options.idTokenTtlSeconds ? { ttl: { IdToken: options.idTokenTtlSeconds } } : {}),
    // A first-party test client: grant what was asked, no consent screen.
    async loadExistingGrant(ctx: InteractionContext) {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      const asked = typeof ctx.oidc.params?.scope === 'string' ? ctx.oidc.params.scope : 'openid';
      grant.addOIDCScope(asked);
      await grant.save();
      return grant;
    },
    findAccount(_ctx: unknown, id: string) {
      const claims = options.accounts[id];
      if (!claims) return undefined;
      return { accountId: id, claims: () => ({ ...claims, sub: id }) };
    },
  });

  let tamperUserInfo: ((claims: Record<string, unknown>) => Record<string, unknown>) | null = null;
  let userInfoRequests = 0;
  let tamper: ((claims: Record<string, unknown>) => Record<string, unknown>) | null = null;
  let tamperKey = privateKey;
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = async function (this: unknown, issueOptions?: { use?: string }) {
    const token = await issue.call(this, issueOptions);
    if (!tamper || issueOptions?.use !== 'idtoken') return token;
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify(tamper(claims))).toString('base64url');
    const signature = rsaSign('sha256', Buffer.from(`${header}.${body}`), tamperKey).toString('base64url');
    return `${header}.${body}.${signature}`;
  };

  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // oidc-provider's UserInfo endpoint is /me.
    if (req.url?.split('?')[0] === '/me') {
      userInfoRequests++;
      if (tamperUserInfo) rewriteBody(res, tamperUserInfo);
    }
    handle(req, res);
  });

  return {
    issuer,
    tamperUserInfo(change) {
      tamperUserInfo = change;
    },
    get userInfoRequests() {
      return userInfoRequests;
    },
    login: (authorizationUrl, accountId) => drive(issuer, new URL(authorizationUrl), accountId),
    tamperIdTokens(change, tamperOptions = {}) {
      tamper = change;
      tamperKey = tamperOptions.foreignKey
        ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
        : privateKey;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Rewrites a JSON response as it is sent: `change` applied, or a 500 when `change` throws. */
function rewriteBody(
  res: ServerResponse,
  change: (claims: Record<string, unknown>) => Record<string, unknown>,
): void {
  const end = res.end.bind(res) as (body: string) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    let body = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk.toString() : '';
    try {
      body = JSON.stringify(change(JSON.parse(body) as Record<string, unknown>));
    } catch {
      res.statusCode = 500;
      body = JSON.stringify({ error: 'server_error' });
    }
    res.setHeader('content-length', Buffer.byteLength(body));
    return end(body);
  }) as ServerResponse['end'];
}

/** The browser: redirects by hand, a cookie jar for the provider's origin, the dev login form. */
async function drive(issuer: string, start: URL, accountId: string): Promise<URL> {
  const origin = new URL(issuer).origin;
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /expires=Thu, 01 Jan 1970/i.test(line) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

  let url = start;
  let method: 'GET' | 'POST' = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.origin !== origin) return url; // back at the client: the callback
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: cookie(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body ? { body } : {}),
    });
    remember(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      method = 'GET';
      body = undefined;
      await res.arrayBuffer();
      continue;
    }
    const page = await res.text();
    if (res.status === 200 && /name="prompt" value="login"/.test(page)) {
      method = 'POST';
      body = new URLSearchParams({ prompt: 'login', login: accountId, password: 'any' }).toString();
      continue; // the form posts back to the same /interaction/:uid
    }
    throw new Error(`test OP: unexpected ${res.status} at ${url.pathname}: ${page.slice(0, 300)}`);
  }
  throw new Error('test OP: too many redirects');
}

/** From /sso/start's Set-Cookie headers, the `name=value` that binds the sign-in to the browser. */
export interface StartOidcConnectionOptions extends Omit<StartOidcProviderOptions, 'clients'> {
  readonly sso: Pick<Container['sso'], 'createConnection'>;
  readonly organisationId: number;
  /** The Seatkeeper servers the provider sends people back to (their /sso/oidc/callback). */
  readonly serverUrls: readonly string[];
  readonly clientSecret?: string;
  readonly name?: string;
}

/**
 * A test OpenID Provider with one client, `seatkeeper`, and the organisation's OIDC connection to
 * it, made by the operator: what every sign-in test over OIDC starts from.
 */
export async function startOidcConnection(options: StartOidcConnectionOptions) {
  const {
    sso,
    organisationId,
    serverUrls,
    clientSecret = 'test-secret',
    name = 'Acme OIDC',
    ...rest
  } = options;
  const provider = await startOidcProvider({
    ...rest,
    clients: [
      {
        client_id: 'seatkeeper',
        client_secret: clientSecret,
        redirect_uris: serverUrls.map((url) => `${url}/sso/oidc/callback`),
      },
    ],
  });
  const connection = await sso.createConnection(
    organisationId,
    { protocol: 'oidc', name, issuer: provider.issuer, clientId: 'seatkeeper', clientSecret },
    OPERATOR,
  );
  return { provider, connection };
}

export function oidcBindingCookie(setCookie: readonly string[]): string | undefined {
  return setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith(OIDC_BROWSER_COOKIE));
}

/**
 * A browser's OpenID Connect sign-in at Seatkeeper, without the browser: GET `startUrl` (Seatkeeper's
 * /sso/start), keep the cookie that binds the sign-in to this "browser", sign in as `accountId` at
 * the provider, and GET the callback with that cookie. Returns Seatkeeper's answer (redirects not
 * followed) and the callback URL (its code and state).
 */
export async function oidcSignIn(
  provider: OidcTestProvider,
  startUrl: string,
  accountId: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<{ response: Response; callback: URL }> {
  const started = await fetch(startUrl, { redirect: 'manual', headers });
  await started.arrayBuffer();
  const location = started.headers.get('location');
  if (started.status !== 303 || !location) throw new Error(`sign-in start answered ${started.status}`);
  const binding = oidcBindingCookie(started.headers.getSetCookie());
  const callback = await provider.login(location, accountId);
  const response = await fetch(callback, {
    redirect: 'manual',
    headers: { ...headers, ...(binding ? { cookie: binding } : {}) },
  });
  return { response, callback };
}
