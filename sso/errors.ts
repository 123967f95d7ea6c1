// The errors a single sign-on can end in: one stable code per rule that broke, and a message for the
// person signing in. Library and identity-provider detail goes only into `cause` (for the log), never
// into the message. What each becomes over HTTP is the SSO edge's to say (sso/error-page.ts).
import { DomainError, type ErrorDetails } from '../domain/errors.js';

/** Every code an SSO adapter raises, with the message shown to the person. */
export const SSO_ERRORS = {
  // SAML
  saml_malformed: 'The sign-in response from your identity provider could not be read.',
  saml_too_large: 'The sign-in response from your identity provider is too large to accept.',
  saml_signature_invalid:
    'The sign-in response was not signed by your identity provider with a key this connection trusts.',
  saml_audience_mismatch: 'The sign-in response was meant for a different application.',
  saml_issuer_mismatch: 'The sign-in response came from a different identity provider.',
  saml_recipient_mismatch: 'The sign-in response was addressed to a different sign-in address.',
  saml_destination_mismatch: 'The sign-in response was addressed to a different sign-in address.',
  saml_expired: 'The sign-in response has expired. Please sign in again.',
  saml_not_yet_valid:
    'The sign-in response is not valid yet (the clocks may disagree). Please try again in a minute.',
  saml_replayed: 'This sign-in response was already used. Please sign in again.',
  saml_unknown_request:
    'This sign-in response does not answer a sign-in started here, or that sign-in has expired. Please sign in again.',
  saml_unsolicited:
    'Sign-ins started at your identity provider are not enabled for this connection. Please start from our sign-in page.',
  saml_subject_unusable:
    'Your identity provider did not send a stable user identifier. An administrator must change the NameID format.',
  saml_idp_refused: 'Your identity provider did not sign you in.',
  saml_decryption_failed:
    'The encrypted sign-in response could not be decrypted with this connection’s keys, or what it holds is not valid.',
  saml_assertion_not_encrypted:
    'This connection accepts only encrypted sign-in responses. An administrator must turn on assertion encryption at the identity provider.',
  saml_invalid: 'The sign-in response from your identity provider is not valid.',
  saml_metadata_invalid: 'The identity provider metadata could not be read.',
  // OpenID Connect
  oidc_state_mismatch: 'This sign-in does not match the one started in this browser. Please sign in again.',
  oidc_nonce_mismatch: 'This sign-in does not match the one started in this browser. Please sign in again.',
  oidc_issuer_mismatch: 'The sign-in came from a different identity provider.',
  oidc_audience_mismatch: 'The sign-in was meant for a different application.',
  oidc_token_expired: 'The sign-in has expired (the clocks may disagree). Please sign in again.',
  oidc_token_invalid: 'The sign-in token from your identity provider is not valid.',
  oidc_access_denied: 'Your identity provider did not sign you in.',
  oidc_code_rejected: 'Your identity provider did not accept this sign-in. Please sign in again.',
  oidc_userinfo_mismatch:
    'Your identity provider described someone other than the person who signed in. Please sign in again.',
  oidc_userinfo_failed:
    'Your identity provider did not say who you are (its UserInfo endpoint failed). Please try again.',
  oidc_provider_error:
    'Your identity provider could not be reached or answered unexpectedly. Please try again.',
  // net/outbound.ts: the issuer is, or resolves to, an address of this host or a private network.
  oidc_provider_refused:
    'Your identity provider is at an address this service does not call. An administrator must check the connection.',
  // Either protocol
  nul_character:
    'Your identity provider sent a name, address, identifier or group containing the NUL character (U+0000), which cannot be stored. An administrator must correct it at the identity provider.',
  login_state_unknown: 'This sign-in was not started here or has expired. Please sign in again.',
  sso_busy: 'Sign-in is very busy right now. Please try again in a moment.',
  sso_unavailable: 'Your sign-in could not be checked just now. Please try again in a moment.',
} as const satisfies Record<string, string>;

export type SsoErrorCode = keyof typeof SSO_ERRORS;

export class SsoError extends DomainError {
  readonly code: SsoErrorCode;

  /**
   * @param code the rule that broke
   * @param options.cause the library or provider error, for the log only
   * @param details safe, non-IdP facts (e.g. the connection id)
   */
  constructor(code: SsoErrorCode, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(
      SSO_ERRORS[code],
      options.details ?? {},
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
  }
}

export function isSsoError(err: unknown, code?: SsoErrorCode): err is SsoError {
  return err instanceof SsoError && (code === undefined || err.code === code);
}
