// The one session-cookie reader, used by the admin API, the console and the sign-in pages: a cookie
// that signs nobody in reads as "not signed in" (401) everywhere, never as a server error.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import type { Request } from 'express';
import request from 'supertest';
import assert from '../../helpers/assert.js';
import { AuthError } from '../../../domain/errors.js';
import { OPERATOR } from '../../../domain/model.js';
import { createSessionCookieReader, SESSION_COOKIE } from '../../../http/cookies.js';
import { apiWorld, type ApiWorld } from '../../helpers/api.js';

describe('the session cookie reader', () => {
  let world: ApiWorld;
  beforeEach(async () => {
    world = await apiWorld();
  });
  afterEach(() => world.cleanup());

  /** A request that sends `cookie` as its Cookie header. */
  const withCookie = (cookie?: string) =>
    ({
      get: (name: string) => (name.toLowerCase() === 'cookie' ? cookie : undefined),
    }) as unknown as Pick<Request, 'get'>;

  test('When the browser sends no session cookie, then nobody is signed in and nothing is refused', async () => {
    const reader = createSessionCookieReader(world.c.sessions);
    assert.equal(await reader.read(withCookie()), undefined);
    assert.equal(await reader.read(withCookie('other=1')), undefined);
    assert.equal(await reader.read(withCookie(`${SESSION_COOKIE}=`)), undefined);
  });

  test('When the cookie holds a live session of a seated member, then it reads as them, with the secret', async () => {
    const reader = createSessionCookieReader(world.c.sessions);
    const { secret } = await world.c.sessions.start(world.organisationId, world.as.user.memberId);
    const who = await reader.read(withCookie(`a=b; ${SESSION_COOKIE}=${secret}`));
    assert.equal(who?.member.id, world.as.user.memberId);
    assert.equal(who?.organisation.id, world.organisationId);
    assert.equal(who?.secret, secret);
  });

  test('When the cookie is malformed, unknown or ended, then it is a 401 session_expired', async () => {
    const reader = createSessionCookieReader(world.c.sessions);
    const { secret } = await world.c.sessions.start(world.organisationId, world.as.user.memberId);
    await world.c.sessions.end(secret);
    for (const cookie of [
      `${SESSION_COOKIE}=%E0%A4%A`,
      `${SESSION_COOKIE}=nope`,
      `${SESSION_COOKIE}=${secret}`,
    ]) {
      await assert.rejects(
        () => reader.read(withCookie(cookie)),
        (e) => e instanceof AuthError && e.code === 'session_expired',
        cookie,
      );
    }
  });

  test('When the member no longer holds a seat, then the session signs nobody in: the sign-in pages answer 401 like the API', async () => {
    const memberId = world.as.user.memberId;
    await world.c.seats.release(world.organisationId, memberId, OPERATOR);
    // A session that outlived the seat (losing a seat ends sessions; this one is started after).
    const { secret } = await world.c.sessions.start(world.organisationId, memberId);
    const cookie = `${SESSION_COOKIE}=${secret}`;
    const reader = createSessionCookieReader(world.c.sessions);
    await assert.rejects(() => reader.read(withCookie(cookie)), AuthError);

    const api = await request(world.app).get('/api/v1/session').set('cookie', cookie);
    assert.equal(api.status, 401);
    const me = await request(world.app)
      .get('/sso/me')
      .set('cookie', cookie)
      .set('accept', 'application/json');
    assert.equal(me.status, 401, 'not the member’s details');
    assert.match(me.text, /Not signed in/);
  });
});
