// Where a sign-in ends: a path on this server that the start of the sign-in asked for
// (`return_to`), kept in the server-side login state and never read back from the identity
// provider's answer. Only a same-origin relative path is accepted, so the sign-in can never be
// used to send someone elsewhere (an open redirect: RFC 6749 §10.15, OAuth 2.0 Security BCP
// RFC 9700 §4.11).
import { ValidationError } from '../domain/errors.js';

/** Where a sign-in started without `return_to` ends: the signed-in page. */
export const DEFAULT_RETURN_PATH = '/sso/me';
/** The console's sign-in returns to the console unless it names one of its pages. */
export const CONSOLE_RETURN_PATH = '/console';
const MAX_RETURN_PATH = 2048;

/**
 * `raw` as a path on this server, or a ValidationError (`invalid_return_to`). Accepted: a path
 * starting with exactly one "/", with an optional query, as a browser would resolve it against
 * this server without leaving it. Refused: absolute and scheme-relative URLs (`https://…`,
 * `//evil.example`), backslashes in any form (`/\evil`, `/%5Cevil`: browsers read "\" as "/"
 * (WHATWG URL §4.4, special schemes), making `/\evil` scheme-relative), an encoded second slash
 * (`/%2F…`), control characters and whitespace (stripped by browsers, RFC 3986 §7.3 / WHATWG URL),
 * fragments, and anything longer than 2048 characters.
 */
export function returnPath(raw: string, base: string): string {
  const refuse = (why: string): never => {
    throw new ValidationError(
      `The address to return to after signing in (return_to) must be a path on this server: ${why}.`,
      { field: 'return_to' },
      'invalid_return_to',
    );
  };
  if (raw.length > MAX_RETURN_PATH) refuse('it is too long');
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\x00-\x20\x7f]/.test(raw)) refuse('it contains spaces or control characters');
  if (!raw.startsWith('/')) refuse('it must start with "/"');
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return refuse('its percent-encoding is broken');
  }
  for (const form of [raw, decoded]) {
    if (form.includes('\\')) refuse('it contains a backslash');
    if (form.startsWith('//')) refuse('it names another site');
    // eslint-disable-next-line no-control-regex -- as above, once decoded
    if (/[\x00-\x1f\x7f]/.test(form)) refuse('it contains control characters');
  }
  if (raw.includes('#')) refuse('it has a fragment');
  const origin = new URL(base).origin;
  const resolved = new URL(raw, origin);
  if (resolved.origin !== origin) refuse('it names another site');
  return `${resolved.pathname}${resolved.search}`;
}
