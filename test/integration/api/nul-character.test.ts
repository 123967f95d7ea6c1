// The NUL character (U+0000) sent to the admin API: 400 problem JSON `nul_character`, pointing at
// where it was, and nothing written, the same on SQLite and PostgreSQL (domain/nul.ts,
// docs/rules.md "Text").
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { API_PATH } from '../../../api/router.js';
import { apiWorld, problem, type ApiWorld } from '../../helpers/api.js';
import { databaseDigest } from '../../helpers/people.js';
import request from 'supertest';
import { csrfToken, SESSION_COOKIE } from '../../../api/auth.js';

const OIDC = {
  protocol: 'oidc',
  name: 'Entra',
  issuer: 'https://login.example/tenant/v2.0',
  clientId: 'seatkeeper-console',
  clientSecret: 'very-secret-client-secret-1',
  scopes: ['openid', 'email', 'profile'],
};

describe('admin API: text holding the NUL character', () => {
  let w: ApiWorld;
  beforeAll(async () => {
    w = await apiWorld();
  });
  afterAll(() => w.cleanup());

  /** Asserts a 400 nul_character problem whose one error points at `pointer` in `where`. */
  function refused(res: request.Response, where: string, pointer: string): void {
    assert.equal(res.status, 400, res.text);
    const p = problem(res);
    assert.equal(p.code, 'nul_character');
    assert.match(p.detail ?? '', /NUL character \(U\+0000\)/);
    assert.deepEqual(
      (p.errors as { in: string; pointer: string }[]).map((e) => [e.in, e.pointer]),
      [[where, pointer]],
    );
  }

  test('When a body holds NUL in a value, a nested value, an array item or a key, then 400 nul_character at its pointer and nothing is written', async () => {
    const before = await databaseDigest(w);
    refused(await w.as.owner.post('/sso-connections', { ...OIDC, name: 'En\u0000tra' }), 'body', '/name');
    refused(
      await w.as.owner.post('/sso-connections', { ...OIDC, claimMap: { email: 'mail\u0000' } }),
      'body',
      '/claimMap/email',
    );
    refused(
      await w.as.owner.post('/sso-connections', { ...OIDC, scopes: ['openid', 'em\u0000ail'] }),
      'body',
      '/scopes/1',
    );
    refused(
      await w.as.owner.post('/sso-connections', { ...OIDC, ['na\u0000me']: 'x' }),
      'body',
      '/na\\u0000me',
    );
    refused(
      await w.as.admin.post('/invitations', { email: 'a\u0000b@acme.example', role: 'user' }),
      'body',
      '/email',
    );
    assert.equal(await databaseDigest(w), before, 'nothing was written');
  });

  test('When the NUL comes as the JSON escape \\u0000 in the raw body, then the same 400; as a raw byte, 400 malformed_request; nothing is written', async () => {
    const before = await databaseDigest(w);
    const { secret } = await w.c.sessions.start(w.organisationId, w.as.owner.memberId);
    const post = (raw: string) =>
      request(w.app)
        .post(`${API_PATH}/sso-connections`)
        .set('cookie', `${SESSION_COOKIE}=${secret}`)
        .set('x-csrf-token', csrfToken(secret))
        .set('content-type', 'application/json')
        .send(raw);
    const fields = JSON.stringify(OIDC).slice(1, -1).replace('"name":"Entra",', '');
    refused(await post(`{"name":"En\\u0000tra",${fields}}`), 'body', '/name');
    const raw = await post(`{"name":"En\u0000tra",${fields}}`);
    assert.equal(raw.status, 400);
    assert.equal(problem(raw).code, 'malformed_request', 'JSON forbids an unescaped control character');
    assert.equal(await databaseDigest(w), before, 'nothing was written');
  });

  test('When a query or a path parameter holds NUL, then 400 nul_character on either backend (not an empty list on one and a refusal on the other)', async () => {
    refused(await w.as.admin.get('/members?q=ad%00min'), 'query', '/q');
    refused(await w.as.admin.get('/members/1%00'), 'path', '/memberId');
  });
});
