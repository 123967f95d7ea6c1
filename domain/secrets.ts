// Bearer secrets (API tokens, emailed single-use links, sessions): made with 256 bits of
// randomness, stored only as SHA-256 hashes, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new secret; `prefix` tells a reader (and a secret scanner) what kind of secret it is. */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** The only form in which a secret is stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * True when `stored` is the hash of `secret`. Lookups are by hash, so timing reveals nothing about
 * the secret; the comparison is constant-time anyway, so correctness never rests on how an index
 * compares strings.
 */
export function matchesHash(secret: string, stored: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(stored, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
