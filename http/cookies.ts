// Reading the request's cookies, and the session cookie: one parser and one session reader for every
// edge that knows a signed-in person (the admin API the console calls, and the sign-in pages), so a
// cookie that is missing, malformed, unknown, expired or belongs to someone without a seat reads the
// same everywhere, as "not signed in" (401), never as an error of the server. The `cookie` package
// parses the Cookie header (RFC 6265 §5.4) and keeps a value whose percent-encoding is broken as it
// came, rather than throwing: such a value matches no session.
import { createRequire } from 'node:module';
import type { Request, Response } from 'express';
import { AuthError } from '../domain/errors.js';
import type { SessionHolder, Sessions } from '../provisioning/sessions.js';

/** The part of `cookie` (0.7, a CommonJS package without type declarations) used here. */
const cookie = createRequire(import.meta.url)('cookie') as {
  parse(header: string): Record<string, string | undefined>;
};

/** The session cookie, set at every sign-in (SSO, mailed link, accepted invitation). */
export const SESSION_COOKIE = 'seatkeeper_session';

/** The value of the cookie `name`, or undefined when it is absent or empty; the first one wins. */
export function cookieValue(req: Pick<Request, 'get'>, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  const value = cookie.parse(header)[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A signed-in person, and the secret their browser presented (it derives the CSRF token). */
export interface SignedInSession extends SessionHolder {
  readonly secret: string;
}

/** The session secret the browser sent, unchecked: to end that session at sign-out or at a new sign-in. */
export function sessionSecret(req: Pick<Request, 'get'>): string | undefined {
  return cookieValue(req, SESSION_COOKIE);
}

export interface SessionCookieReader {
  /**
   * The person the cookie signs in; undefined when the browser sent none; AuthError (401,
   * `session_expired`) when it sent one that signs nobody in.
   */
  read(req: Pick<Request, 'get'>): Promise<SignedInSession | undefined>;
}

export function createSessionCookieReader(sessions: Pick<Sessions, 'signedIn'>): SessionCookieReader {
  return {
    async read(req) {
      const presented = sessionSecret(req);
      if (presented === undefined) return undefined;
      const holder = await sessions.signedIn(presented);
      if (!holder) throw new AuthError('Your session has ended; sign in again.', {}, 'session_expired');
      return { ...holder, secret: presented };
    },
  };
}

/**
 * Sets a new session's cookie: httpOnly (scripts never see it), SameSite=Lax (not sent on
 * cross-site subrequests, but on the top-level navigation back from an identity provider), Secure
 * whenever the public URL is https or the request came over https (directly, or through a proxy
 * that TRUST_PROXY believes: req.secure).
 */
export function setSessionCookie(
  res: Response,
  session: { readonly secret: string; readonly expiresAt: { toJSDate(): Date } },
  secure: boolean,
): void {
  res.cookie(SESSION_COOKIE, session.secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secure || res.req.secure,
    path: '/',
    expires: session.expiresAt.toJSDate(),
  });
}

/** Tells the browser to forget its session cookie (the session itself is ended by the caller). */
export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secure || res.req.secure,
  });
}
