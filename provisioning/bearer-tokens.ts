// The rules admin API tokens and SCIM tokens share (provisioning/api-tokens.ts,
// provisioning/scim-tokens.ts): a token is 256 random bits behind a prefix naming its kind, shown
// once and stored only as its SHA-256, compared in constant time; it may be given an end, and when
// it was last used is kept to the minute. Each kind keeps only what differs: its prefix, its role
// or its cap, how it is looked up per request.
import { timingSafeEqual } from 'node:crypto';
import { DateTime } from 'luxon';
import { AuthError, ValidationError, type ErrorDetails } from '../domain/errors.js';
import { hashSecret, newSecret } from '../domain/secrets.js';

/** A new token: the secret (shown once), the hash that is stored, and the prefix shown in lists. */
export interface NewToken {
  readonly token: string;
  readonly tokenHash: string;
  /** The kind's prefix and the first six characters after it: enough to tell tokens apart. */
  readonly shownPrefix: string;
}

/** A fresh token of the kind `prefix` names (`skapi_`, `skscim_`). */
export function newToken(prefix: string): NewToken {
  // 256 bits of randomness: guessing is not an attack worth rate limiting for.
  const token = newSecret(prefix);
  return { token, tokenHash: hashSecret(token), shownPrefix: token.slice(0, prefix.length + 6) };
}

/** The only form in which a token is stored, and by which it is looked up. */
export const tokenHash = hashSecret;

/**
 * True when a presented secret's hash is the stored one. The lookup is by hash, so timing reveals
 * nothing about the secret; the comparison is constant-time anyway, so correctness never rests on
 * how an index compares strings.
 */
export function sameTokenHash(presentedHash: string, storedHash: string): boolean {
  const presented = Buffer.from(presentedHash, 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** A token's name as given, trimmed: 1 to 100 characters, or ValidationError with `details`. */
export function tokenName(name: string, details?: ErrorDetails): string {
  const label = name.trim();
  if (label === '' || label.length > 100)
    throw new ValidationError('A token needs a name of 1 to 100 characters.', details);
  return label;
}

/** The longest a token may be given; an owner wanting longer gives none (until revoked). */
export const MAX_TOKEN_LIFETIME_YEARS = 5;

/**
 * When a token stops working, if its maker gives it an end: an instant with a UTC offset (RFC 3339
 * §5.6), in the future, at most five years ahead. Returns the end as stored (UTC ISO), or null for
 * none; ValidationError for an end that cannot be. Past it the token answers 401 in its protocol's
 * form, as a revoked one does (docs/api.md, "Tokens").
 */
export function tokenExpiry(text: string | null | undefined, now: DateTime): string | null {
  if (text === undefined || text === null) return null;
  const at = DateTime.fromISO(text, { setZone: true });
  if (!at.isValid || !/(?:Z|[+-]\d{2}:\d{2})$/i.test(text.trim())) {
    throw new ValidationError(
      'expiresAt must be an instant with a time zone offset, e.g. 2027-01-31T00:00:00Z.',
      {
        field: 'expiresAt',
      },
    );
  }
  if (at <= now) throw new ValidationError('expiresAt must be in the future.', { field: 'expiresAt' });
  if (at > now.plus({ years: MAX_TOKEN_LIFETIME_YEARS })) {
    throw new ValidationError(
      `expiresAt may be at most ${MAX_TOKEN_LIFETIME_YEARS} years ahead; leave it out for a token that lasts until revoked.`,
      { field: 'expiresAt' },
    );
  }
  return at.toUTC().toISO();
}

/** True when a token with this end no longer works at `now`. */
export const tokenExpired = (expiresAt: string | null, now: DateTime): boolean =>
  expiresAt !== null && now.toMillis() >= Date.parse(expiresAt);

/** AuthError (`token_expired`) when the token's end has passed; `kind` names it ("The API token"). */
export function requireUnexpired(kind: string, expiresAt: string | null, now: DateTime): void {
  if (tokenExpired(expiresAt, now)) {
    throw new AuthError(
      `${kind} expired at ${expiresAt}; an owner can create a new one.`,
      {},
      'token_expired',
    );
  }
}

/** "Last used" is for owners auditing tokens; a minute's precision keeps reads from becoming writes. */
export const LAST_USED_PRECISION_MS = 60_000;

/** True when a use at `now` is to be written: never used, or last marked a minute or more ago. */
export const lastUsedIsStale = (lastUsedMs: number | null, now: DateTime): boolean =>
  lastUsedMs === null || now.toMillis() - lastUsedMs >= LAST_USED_PRECISION_MS;
