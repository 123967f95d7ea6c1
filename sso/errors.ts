// The errors a single sign-on can end in: one stable code per rule that broke, an HTTP status, and a
// message for the person signing in. Library and identity-provider detail goes only into `cause`
// (for the log), never into the message.
import { DomainError, type ErrorDetails } from '../domain/errors.js';

/** Every code an SSO adapter raises, with its HTTP status and the message shown to the person. */
export const SSO_ERRORS = {
  // SAML
  saml_malformed: [400, 'The sign-in response from your identity provider could not be read.'],
  saml_too_large: [413, 'The sign-in response from your identity provider is too large to accept.'],
  saml_signature_invalid: [
    401,
    'The sign-in response was not signed by your identity provider with a key this connection trusts.',
  ],
  saml_audience_mismatch: [401, 'The sign-in response was meant for a different application.'],
  saml_issuer_mismatch: [401, 'The sign-in response came from a different identity provider.'],
  saml_recipient_mismatch: [401, 'The sign-in response was addressed to a different sign-in address.'],
  saml_destination_mismatch: [401, 'The sign-in response was addressed to a different sign-in address.'],
  saml_expired: [401, 'The sign-in response has expired. Please sign in again.'],
  saml_not_yet_valid: [
    401,
    'The sign-in response is not valid yet (the clocks may disagree). Please try again in a minute.',
  ],
  saml_replayed: [401, 'This sign-in response was already used. Please sign in again.'],
  saml_unknown_request: [
    401,
    'This sign-in response does not answer a sign-in started here, or that sign-in has expired. Please sign in again.',
  ],
  saml_unsolicited: [
    401,
    'Sign-ins started at your identity provider are not enabled for this connection. Please start from our sign-in page.',
  ],
  saml_subject_unusable: [
    401,
    'Your identity provider did not send a stable user identifier. An administrator must change the NameID format.',
  ],
  saml_idp_refused: [401, 'Your identity provider did not sign you in.'],
  saml_decryption_failed: [
    401,
    'The encrypted sign-in response could not be decrypted with this connection’s keys, or what it holds is not valid.',
  ],
  saml_assertion_not_encrypted: [
    401,
    'This connection accepts only encrypted sign-in responses. An administrator must turn on assertion encryption at the identity provider.',
  ],
  saml_invalid: [401, 'The sign-in response from your identity provider is not valid.'],
  saml_metadata_invalid: [400, 'The identity provider metadata could not be read.'],
  // OpenID Connect
  oidc_state_mismatch: [
    401,
    'This sign-in does not match the one started in this browser. Please sign in again.',
  ],
  oidc_nonce_mismatch: [
    401,
    'This sign-in does not match the one started in this browser. Please sign in again.',
  ],
  oidc_issuer_mismatch: [401, 'The sign-in came from a different identity provider.'],
  oidc_audience_mismatch: [401, 'The sign-in was meant for a different application.'],
  oidc_token_expired: [401, 'The sign-in has expired (the clocks may disagree). Please sign in again.'],
  oidc_token_invalid: [401, 'The sign-in token from your identity provider is not valid.'],
  oidc_access_denied: [401, 'Your identity provider did not sign you in.'],
  oidc_code_rejected: [401, 'Your identity provider did not accept this sign-in. Please sign in again.'],
  oidc_userinfo_mismatch: [
    401,
    'Your identity provider described someone other than the person who signed in. Please sign in again.',
  ],
  oidc_userinfo_failed: [
    502,
    'Your identity provider did not say who you are (its UserInfo endpoint failed). Please try again.',
  ],
  oidc_provider_error: [
    502,
    'Your identity provider could not be reached or answered unexpectedly. Please try again.',
  ],
  // net/outbound.ts: the issuer is, or resolves to, an address of this host or a private network.
  oidc_provider_refused: [
    502,
    'Your identity provider is at an address this service does not call. An administrator must check the connection.',
  ],
  // Either protocol
  login_state_unknown: [400, 'This sign-in was not started here or has expired. Please sign in again.'],
  sso_busy: [503, 'Sign-in is very busy right now. Please try again in a moment.'],
  sso_unavailable: [503, 'Your sign-in could not be checked just now. Please try again in a moment.'],
} as const satisfies Record<string, readonly [number, string]>;

export type SsoErrorCode = keyof typeof SSO_ERRORS;

export class SsoError extends DomainError {
  readonly code: SsoErrorCode;
  readonly status: number;

  /**
   * @param code the rule that broke
   * @param options.cause the library or provider error, for the log only
   * @param details safe, non-IdP facts (e.g. the connection id)
   */
  constructor(code: SsoErrorCode, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    const [status, message] = SSO_ERRORS[code];
    super(message, options.details ?? {}, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
  }
}

export function isSsoError(err: unknown, code?: SsoErrorCode): err is SsoError {
  return err instanceof SsoError && (code === undefined || err.code === code);
}
