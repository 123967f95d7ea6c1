// The one place single sign-on errors become answers: each error a page with a clear message, its
// stable code and a way on, and the HTTP status its kind calls for, as http/problem.ts is for the
// admin API. The domain errors say what broke; only this module knows HTTP. Rejections of an
// answer from the identity provider are audited (once: the sign-in command records those it met).
import type { ErrorRequestHandler, Request, Response } from 'express';
import {
  AuthError,
  DomainError,
  NotFoundError,
  SignInRefusedError,
  ValidationError,
} from '../domain/errors.js';
import { escapeHtml, t, tOr, type Language } from '../i18n/index.js';
import type { SsoConnection } from '../provisioning/sso.js';
import type { Logger } from '../runtime/logger.js';
import { SsoError, type SsoErrorCode } from './errors.js';
import { askForSeat, notSignedIn, page, signInAgain } from './pages.js';

/**
 * The status of each SSO error: 400 for a request that cannot be read, 401 for an answer that
 * proves nothing, 413 for one too large, 502 when the provider failed us, 503 when we are too busy.
 */
export const SSO_ERROR_STATUS = {
  saml_malformed: 400,
  saml_too_large: 413,
  saml_signature_invalid: 401,
  saml_audience_mismatch: 401,
  saml_issuer_mismatch: 401,
  saml_recipient_mismatch: 401,
  saml_destination_mismatch: 401,
  saml_expired: 401,
  saml_not_yet_valid: 401,
  saml_replayed: 401,
  saml_unknown_request: 401,
  saml_unsolicited: 401,
  saml_subject_unusable: 401,
  saml_idp_refused: 401,
  saml_decryption_failed: 401,
  saml_assertion_not_encrypted: 401,
  saml_invalid: 401,
  saml_metadata_invalid: 400,
  oidc_state_mismatch: 401,
  oidc_nonce_mismatch: 401,
  oidc_issuer_mismatch: 401,
  oidc_audience_mismatch: 401,
  oidc_token_expired: 401,
  oidc_token_invalid: 401,
  oidc_access_denied: 401,
  oidc_code_rejected: 401,
  oidc_userinfo_mismatch: 401,
  oidc_userinfo_failed: 502,
  oidc_provider_error: 502,
  oidc_provider_refused: 502,
  login_state_unknown: 400,
  nul_character: 400,
  sso_busy: 503,
  sso_unavailable: 503,
} as const satisfies Record<SsoErrorCode, number>;

/** A request the body parser refused (malformed, too large): it carries its own 4xx status. */
function bodyParserStatus(error: unknown): 400 | 413 | undefined {
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : 0;
  return status === 413 || status === 400 ? status : undefined;
}

/** The HTTP status a sign-in that ended in `error` answers with. */
export function ssoErrorStatus(error: unknown): number {
  if (error instanceof SignInRefusedError) return 403;
  if (error instanceof SsoError) return SSO_ERROR_STATUS[error.code];
  if (error instanceof AuthError) return 401;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ValidationError) return 400;
  if (error instanceof DomainError) return 409;
  return bodyParserStatus(error) ?? 500;
}

/** What the error page needs to know of the reader: their language and organisation's name. */
export type Speak = (
  req: Request,
  about?: { organisationId?: number; organisationSlug?: string; memberId?: number },
) => Promise<{ language: Language; organisationName: string | null }>;

export interface SsoErrorHandlerDeps {
  readonly speak: Speak;
  readonly logger: Logger;
  /** Audits a rejected answer from the identity provider (sign_in.rejected). */
  readonly recordRejection: (connection: SsoConnection, code: string) => Promise<void>;
}

/**
 * Marks a rejection the sign-in command has already audited, in the write that used up what the
 * answer carried, so the page does not audit it twice.
 */
export function rejectionRecorded(res: Response): void {
  res.locals.rejectionRecorded = true;
}

/**
 * The SSO edge's error handler. The route's connection, once known, is in `res.locals.connection`:
 * its organisation's language, and where a rejection is audited.
 */
export function createSsoErrorHandler(deps: SsoErrorHandlerDeps): ErrorRequestHandler {
  const { speak, logger, recordRejection } = deps;
  const reference = (lang: Language, code: string) =>
    `<p>${escapeHtml(t(lang, 'sso.page.reference'))} <code>${escapeHtml(code)}</code></p>`;

  return async (error: unknown, req, res, _next) => {
    const connection = res.locals.connection as SsoConnection | undefined;
    const recorded = res.locals.rejectionRecorded === true;
    const status = ssoErrorStatus(error);
    if (error instanceof SignInRefusedError) {
      // Audited by the sign-in engine.
      const slug = typeof error.details.organisation === 'string' ? error.details.organisation : undefined;
      const { language: lang, organisationName } = await speak(
        req,
        slug === undefined ? {} : { organisationSlug: slug },
      );
      const message =
        organisationName === null
          ? error.message
          : tOr(lang, `sso.refused.${error.code}`, error.message, { organisation: organisationName });
      page(
        res,
        status,
        t(lang, 'sso.page.cannotSignIn'),
        `<p>${escapeHtml(message)}</p>${reference(lang, error.code)}${askForSeat(lang, error.details.seatRequestTicket)}${signInAgain(lang, slug)}`,
        lang,
      );
      return;
    }
    const { language: lang } = await speak(
      req,
      connection ? { organisationId: connection.organisationId } : {},
    );
    if (error instanceof SsoError) {
      // Too busy to check the response: nothing was rejected, and no write is added to the load.
      if (error.code === 'sso_busy' || error.code === 'sso_unavailable') res.set('Retry-After', '1');
      else if (connection && !recorded) await recordRejection(connection, error.code);
      logger.warn(
        {
          code: error.code,
          connection: connection?.publicId,
          cause: (error.cause as Error | undefined)?.message,
        },
        'sign-in rejected',
      );
      page(
        res,
        status,
        t(lang, 'sso.page.signInFailed'),
        `<p>${escapeHtml(tOr(lang, `sso.error.${error.code}`, error.message))}</p>` +
          `${reference(lang, error.code)}${signInAgain(lang)}`,
        lang,
      );
      return;
    }
    if (error instanceof AuthError) {
      notSignedIn(res, lang);
      return;
    }
    if (error instanceof DomainError) {
      page(
        res,
        status,
        t(lang, 'sso.page.signInNotPossible'),
        `<p>${escapeHtml(error.message)}</p>${signInAgain(lang)}`,
        lang,
      );
      return;
    }
    if (status === 413 || status === 400) {
      if (connection && !recorded)
        await recordRejection(connection, status === 413 ? 'saml_too_large' : 'malformed_request');
      page(
        res,
        status,
        t(lang, 'sso.page.signInFailed'),
        `<p>${escapeHtml(t(lang, 'sso.page.unreadable'))}</p>${signInAgain(lang)}`,
        lang,
      );
      return;
    }
    // Anything else is ours: logged in full, and the person told only to try again.
    logger.error({ err: error, path: req.path }, 'SSO request failed');
    page(
      res,
      500,
      t(lang, 'sso.page.somethingWrong'),
      `<p>${escapeHtml(t(lang, 'sso.page.tryAgain'))}</p>`,
      lang,
    );
  };
}
