// What a sign-in asserts about a person, the same for SAML and OpenID Connect. The SSO edge builds
// it from a validated assertion or ID token; nothing here knows about XML or JWTs.

export interface ExternalIdentity {
  /** The connection (and so the organisation and the identity provider) it came through. */
  readonly connectionId: number;
  /** SAML NameID or OIDC `sub`: stable per connection. */
  readonly subject: string;
  readonly email: string | null;
  /**
   * Whether the provider vouches for the address. OIDC: `email_verified === true` (Entra work
   * accounts: `xms_edov`). SAML: the organisation's own identity provider asserts it.
   */
  readonly emailVerified: boolean;
  readonly displayName: string | null;
  /**
   * Group names from the assertion or token; `unknown` when the provider could not list them
   * (Entra's group overage claim), which is not the same as no groups.
   */
  readonly groups: readonly string[] | 'unknown';
}

/**
 * The group names a provider sent, as `groups` holds them: strings only, trimmed, without empty
 * names or repeats, in the order first sent. SAML attributes and OIDC claims both pass here.
 */
export function groupNames(values: readonly unknown[]): string[] {
  return [
    ...new Set(
      values
        .filter((g): g is string => typeof g === 'string')
        .map((g) => g.trim())
        .filter(Boolean),
    ),
  ];
}
