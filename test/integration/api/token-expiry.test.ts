// SCIM and admin API tokens with an end: shown with their end and last use, working until that
// instant, then refused with 401 in the protocol's form (problem JSON `token_expired`; a SCIM
// Error), as a revoked token is. An end that cannot be is refused when the token is made.
import { describe, test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import request from 'supertest';
import { OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem } from '../../helpers/api.js';

const NOW = '2026-03-01T09:00:00Z';

describe('Token expiry', () => {
  test('When an API token reaches its end, then it answers 401 token_expired; until then it works and its last use is shown', async () => {
    const t = perTest();
    const w = await apiWorld(NOW);
    t.after(() => w.cleanup());
    const made = await w.as.owner.post('/api-tokens', {
      name: 'nightly export',
      role: 'admin',
      expiresAt: '2026-03-02T09:00:00+01:00',
    });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.expiresAt, '2026-03-02T08:00:00.000Z', 'stored as UTC');
    assert.equal(made.body.lastUsedAt, null);
    const script = w.withToken(made.body.token as string);

    assert.equal((await script.get('/members')).status, 200);
    const listed = (await w.as.owner.get('/api-tokens')).body.tokens as {
      id: number;
      lastUsedAt: string | null;
      expiresAt: string | null;
    }[];
    const row = listed.find((r) => r.id === made.body.id)!;
    assert.equal(row.expiresAt, '2026-03-02T08:00:00.000Z');
    assert.ok(row.lastUsedAt?.startsWith('2026-03-01T09:00'), 'last use shown');

    w.clock.set('2026-03-02T07:59:59Z');
    assert.equal((await script.get('/members')).status, 200, 'a second before its end');
    w.clock.set('2026-03-02T08:00:00Z');
    const refused = await script.get('/members');
    assert.equal(refused.status, 401);
    assert.equal(problem(refused).code, 'token_expired');
    assert.match(String(problem(refused).detail), /expired at 2026-03-02T08:00:00\.000Z/);
  });

  test('When a SCIM token reaches its end, then the identity provider gets a SCIM 401 at once, even from a token just used', async () => {
    const t = perTest();
    const w = await apiWorld(NOW);
    t.after(() => w.cleanup());
    const made = await w.as.owner.post('/scim-tokens', { name: 'Okta', expiresAt: '2026-06-01T00:00:00Z' });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.expiresAt, '2026-06-01T00:00:00.000Z');
    const scim = () => request(w.app).get('/scim/v2/Users').set('authorization', `Bearer ${made.body.token}`);

    assert.equal((await scim()).status, 200);
    const listed = (await w.as.owner.get('/scim-tokens')).body.tokens as {
      expiresAt: string;
      lastUsedAt: string;
    }[];
    assert.equal(listed[0]!.expiresAt, '2026-06-01T00:00:00.000Z');
    assert.ok(listed[0]!.lastUsedAt.startsWith('2026-03-01T09:00'));

    w.clock.set('2026-06-01T00:00:00Z');
    const refused = await scim();
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(refused.body.status, '401');
    assert.match(String(refused.body.detail), /expired/);

    // The operator's tokens take an end too, and one without an end keeps working.
    const forever = await w.c.scimTokens.create(w.organisationId, 'Entra', OPERATOR);
    assert.equal(forever.record.expiresAt, null);
    const ok = await request(w.app).get('/scim/v2/Users').set('authorization', `Bearer ${forever.token}`);
    assert.equal(ok.status, 200);
  });

  test('When a token is given an end in the past, without an offset, or more than five years ahead, then it is refused and not made', async () => {
    const t = perTest();
    const w = await apiWorld(NOW);
    t.after(() => w.cleanup());
    const cases = ['2026-03-01T08:59:59Z', '2026-04-01T00:00:00', '2031-03-02T00:00:00Z', 'tomorrow'];
    for (const expiresAt of cases) {
      const api = await w.as.owner.post('/api-tokens', { name: 'x', role: 'user', expiresAt });
      assert.equal(api.status, 400, `${expiresAt}: ${api.text}`);
      const scim = await w.as.owner.post('/scim-tokens', { name: 'x', expiresAt });
      assert.equal(scim.status, 400, `${expiresAt}: ${scim.text}`);
    }
    assert.equal((await w.as.owner.get('/scim-tokens')).body.tokens.length, 0);
    assert.equal((await w.as.owner.get('/api-tokens')).body.tokens.length, 0);
  });
});
