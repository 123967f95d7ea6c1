// Who is calling the admin API, and whether a state-changing request may be trusted.
//
// Two credentials: the console's session cookie (set at SSO sign-in, or by an emailed one-time
// link), or an organisation's API token in `Authorization: Bearer` (RFC 6750 §2.1). Tokens are
// never sent automatically by a browser, so only cookie-authenticated requests need protection
// against cross-site request forgery: every unsafe method must carry `X-CSRF-Token`, a value
// derived from the session secret that another site can neither read nor compute (the
// synchronizer-token pattern), and, when the browser sends an Origin, it must be ours.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AuthError, ForbiddenError } from '../domain/errors.js';
import type { ApiTokens } from '../provisioning/api-tokens.js';
import type { SessionCookieReader, SignedInSession } from '../http/cookies.js';
import type { ApiCaller } from './route.js';

export const CSRF_HEADER = 'x-csrf-token';
export { SESSION_COOKIE } from '../http/cookies.js';

/** The anti-forgery token of a session: a one-way function of its secret, so nothing is stored. */
export function csrfToken(sessionSecret: string): string {
  return createHash('sha256').update(`csrf\0${sessionSecret}`, 'utf8').digest('base64url');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Authenticator {
  /** The caller, or AuthError (401) / ForbiddenError (403: a forged or cross-site request). */
  authenticate(req: Request): Promise<ApiCaller>;
}

export function createAuthenticator(deps: {
  readonly sessionCookies: SessionCookieReader;
  readonly apiTokens: ApiTokens;
  readonly publicOrigin: string;
}): Authenticator {
  const { sessionCookies, apiTokens, publicOrigin } = deps;

  async function fromToken(header: string): Promise<ApiCaller> {
    const match = /^Bearer ([\w.~+/-]+=*)$/i.exec(header);
    if (!match) throw new AuthError('The Authorization header must be "Bearer <API token>".');
    const token = await apiTokens.authenticate(match[1]!);
    return {
      organisationId: token.organisationId,
      actor: { type: 'api_token', tokenId: token.id },
      role: token.role,
      memberId: null,
      via: 'token',
    };
  }

  /** A caller by session (live, and only while seated: the reader refuses anything else with 401). */
  function fromSession(req: Request, who: SignedInSession): ApiCaller {
    const { secret } = who;
    if (!SAFE_METHODS.has(req.method)) {
      const origin = req.get('origin');
      if (origin !== undefined && origin !== publicOrigin) {
        throw new ForbiddenError('Cross-site requests are refused.', {}, 'cross_site_request');
      }
      const presented = Buffer.from(req.get(CSRF_HEADER) ?? '', 'utf8');
      const expected = Buffer.from(csrfToken(secret), 'utf8');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        throw new ForbiddenError(
          `A state-changing request must carry the session's ${CSRF_HEADER} header (from GET /api/v1/session).`,
          {},
          'csrf_token_invalid',
        );
      }
    }
    return {
      organisationId: who.organisation.id,
      actor: { type: 'member', memberId: who.member.id },
      role: who.member.role,
      memberId: who.member.id,
      via: 'session',
    };
  }

  return {
    async authenticate(req) {
      const authorization = req.get('authorization');
      if (authorization !== undefined) return await fromToken(authorization);
      const session = await sessionCookies.read(req);
      if (session) return fromSession(req, session);
      throw new AuthError('Sign in, or send an API token as "Authorization: Bearer <token>".');
    },
  };
}
