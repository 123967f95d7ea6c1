// The rules admin API tokens and SCIM tokens share (provisioning/bearer-tokens.ts): how a token is
// made and stored, how a presented one is checked, its end, its name, and when its use is written.
import { describe, test } from '@jest/globals';
import { DateTime } from 'luxon';
import assert from '../../helpers/assert.js';
import { AuthError, ValidationError } from '../../../domain/errors.js';
import {
  lastUsedIsStale,
  LAST_USED_PRECISION_MS,
  newToken,
  requireUnexpired,
  sameTokenHash,
  tokenExpired,
  tokenExpiry,
  tokenHash,
  tokenName,
} from '../../../provisioning/bearer-tokens.js';

const now = DateTime.fromISO('2026-03-01T09:00:00Z', { zone: 'utc' });

describe('Bearer tokens', () => {
  test('When a token is made, then it carries its kind, 256 random bits, and only its SHA-256 is kept', () => {
    const a = newToken('skscim_');
    const b = newToken('skscim_');
    assert.match(a.token, /^skscim_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.token, b.token);
    assert.match(a.tokenHash, /^[0-9a-f]{64}$/);
    assert.equal(a.tokenHash, tokenHash(a.token));
    assert.ok(!a.tokenHash.includes(a.token.slice(7)));
    assert.equal(a.shownPrefix, a.token.slice(0, 'skscim_'.length + 6));
  });

  test('When a presented secret is checked, then only its own hash matches, whatever its length', () => {
    const { token, tokenHash: stored } = newToken('skapi_');
    assert.equal(sameTokenHash(tokenHash(token), stored), true);
    assert.equal(sameTokenHash(tokenHash(`${token}x`), stored), false);
    assert.equal(sameTokenHash('abcd', stored), false, 'a shorter hash is refused, not thrown on');
  });

  test('When a token is given an end, then it must have an offset, be ahead and within five years; it is stored in UTC', () => {
    assert.equal(tokenExpiry(undefined, now), null);
    assert.equal(tokenExpiry(null, now), null);
    assert.equal(tokenExpiry('2026-06-01T12:00:00+02:00', now), '2026-06-01T10:00:00.000Z');
    assert.throws(() => tokenExpiry('2026-06-01T12:00:00', now), ValidationError);
    assert.throws(() => tokenExpiry('2026-03-01T09:00:00Z', now), /in the future/);
    assert.throws(() => tokenExpiry('2031-03-01T09:00:01Z', now), /at most 5 years/);
  });

  test('When a token reaches its end, then it stops at that instant with token_expired', () => {
    const end = '2026-03-01T09:00:00.000Z';
    assert.equal(tokenExpired(null, now), false);
    assert.equal(tokenExpired(end, now.minus({ milliseconds: 1 })), false);
    assert.equal(tokenExpired(end, now), true);
    assert.throws(
      () => requireUnexpired('The API token', end, now),
      (e: unknown) =>
        e instanceof AuthError &&
        e.code === 'token_expired' &&
        e.message === `The API token expired at ${end}; an owner can create a new one.`,
    );
    assert.doesNotThrow(() => requireUnexpired('The API token', null, now));
  });

  test('When a token is named, then the name is trimmed and must be 1 to 100 characters', () => {
    assert.equal(tokenName('  Okta  '), 'Okta');
    assert.throws(() => tokenName('   '), ValidationError);
    assert.throws(
      () => tokenName('x'.repeat(101), { field: 'name' }),
      (e: unknown) => e instanceof ValidationError && e.details['field'] === 'name',
    );
    assert.equal(tokenName('x'.repeat(100)).length, 100);
  });

  test('When a token is used, then the use is written only if none was within the last minute', () => {
    assert.equal(lastUsedIsStale(null, now), true);
    assert.equal(lastUsedIsStale(now.toMillis() - LAST_USED_PRECISION_MS + 1, now), false);
    assert.equal(lastUsedIsStale(now.toMillis() - LAST_USED_PRECISION_MS, now), true);
  });
});
