// The demo's own OpenID Provider on 127.0.0.1: panva's oidc-provider with its development login
// form, a fixed set of accounts, and one client (Seatkeeper). It grants what the client asks for
// without a consent screen, as a company's own identity provider does for its own applications.
// For trying Seatkeeper on one machine only: accounts live in memory and any password is accepted.
import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoAccount {
  readonly email: string;
  readonly name: string;
}

export interface DemoIdentityProvider {
  /** http://127.0.0.1:<port> */
  readonly issuer: string;
  close(): Promise<void>;
}

/** The part of oidc-provider used here (the package ships no types). */
interface ProviderInstance {
  callback(): (req: unknown, res: unknown) => void;
  Grant: new (init: { clientId: string; accountId: string }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;
interface GrantContext {
  oidc: {
    client: { clientId: string };
    session?: { accountId?: string };
    params?: { scope?: unknown };
    provider: ProviderInstance;
  };
}

export async function startIdentityProvider(options: {
  /** Login name → the person it signs in. */
  readonly accounts: Readonly<Record<string, DemoAccount>>;
  readonly client: { readonly clientId: string; readonly clientSecret: string; readonly redirectUri: string };
  readonly port?: number;
}): Promise<DemoIdentityProvider> {
  // oidc-provider is ESM without type declarations: imported through a widened specifier.
  const specifier: string = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as { default: ProviderConstructor };

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk: JsonWebKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.client.clientId,
        client_secret: options.client.clientSecret,
        redirect_uris: [options.client.redirectUri],
      },
    ],
    jwks: { keys: [jwk] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    cookies: { keys: [randomBytes(16).toString('hex')] },
    features: { devInteractions: { enabled: true } },
    // The provider's default, conforming configuration: in the code flow the email and profile
    // claims come from UserInfo only (OIDC Core §5.4), which Seatkeeper asks when they are not in
    // the ID token.
    async loadExistingGrant(ctx: GrantContext) {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope(typeof ctx.oidc.params?.scope === 'string' ? ctx.oidc.params.scope : 'openid');
      await grant.save();
      return grant;
    },
    findAccount(_ctx: unknown, id: string) {
      const account = options.accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, email: account.email, email_verified: true, name: account.name }),
      };
    },
  });
  server.on('request', provider.callback());

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
