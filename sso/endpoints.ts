// Where identity providers and browsers reach single sign-on, as absolute URLs below the public base
// URL: the one place they are built, so the entity id the metadata publishes, the ACS a response must
// be addressed to (SAML core §3.2.2 Destination, §2.4.1.2 Recipient) and the redirect URI registered
// at an OpenID Provider (OIDC Core §3.1.2.1) are the same string wherever they are shown or checked.

/** Where the single sign-on routes are mounted. */
export const SSO_PATH = '/sso';
/** One callback for every OpenID Connect connection (one URL to register): the state names the connection. */
export const OIDC_CALLBACK_PATH = `${SSO_PATH}/oidc/callback`;

/** What an owner gives the identity provider for a connection. */
export type ServiceProviderUrls =
  | { readonly entityId: string; readonly metadataUrl: string; readonly acsUrl: string }
  | { readonly redirectUri: string };

export interface SsoEndpoints {
  /** A SAML connection's SP entity id; also where its metadata is served (and the required Audience). */
  samlEntityId(publicId: string): string;
  /** A SAML connection's Assertion Consumer Service (HTTP-POST binding). */
  samlAcsUrl(publicId: string): string;
  /** The OpenID Connect redirect URI, the same for every connection. */
  readonly oidcRedirectUri: string;
  /** The URLs to give the identity provider, by the connection's protocol. */
  serviceProvider(connection: {
    readonly protocol: 'saml' | 'oidc';
    readonly publicId: string;
  }): ServiceProviderUrls;
}

/** The SSO endpoints below `publicBaseUrl` (a trailing slash is ignored). */
export function ssoEndpoints(publicBaseUrl: string): SsoEndpoints {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const samlEntityId = (publicId: string) => `${base}${SSO_PATH}/saml/${publicId}`;
  const samlAcsUrl = (publicId: string) => `${samlEntityId(publicId)}/acs`;
  const oidcRedirectUri = `${base}${OIDC_CALLBACK_PATH}`;
  return {
    samlEntityId,
    samlAcsUrl,
    oidcRedirectUri,
    serviceProvider: (c) =>
      c.protocol === 'saml'
        ? {
            entityId: samlEntityId(c.publicId),
            metadataUrl: samlEntityId(c.publicId),
            acsUrl: samlAcsUrl(c.publicId),
          }
        : { redirectUri: oidcRedirectUri },
  };
}
