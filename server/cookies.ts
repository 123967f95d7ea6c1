// Reading the request's cookies: one parser for every edge (the console API and the sign-in pages),
// so a malformed cookie reads the same everywhere. The `cookie` package parses the Cookie header
// (RFC 6265 §5.4) and keeps a value whose percent-encoding is broken as it came, rather than
// throwing: such a value matches no session, and the caller answers "not signed in", never 500.
import { createRequire } from 'node:module';
import type { Request } from 'express';

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
