// When an SCIM or admin API token stops working, if its maker gives it an end: an instant with a
// UTC offset (RFC 3339 §5.6), in the future, at most five years ahead. Past it the token answers
// 401 in its protocol's form, as a revoked one does (docs/api.md, "Tokens").
import { DateTime } from 'luxon';
import { ValidationError } from '../domain/errors.js';

/** The longest a token may be given; an owner wanting longer gives none (until revoked). */
export const MAX_TOKEN_LIFETIME_YEARS = 5;

/** The end as stored (UTC ISO), or null for none; ValidationError for an end that cannot be. */
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
