// The sign-in state tables: every value is handed out once, per connection, until it expires.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

describe('Sign-in state', () => {
  let ctx: TestContext;
  let a: number;
  let b: number;

  beforeEach(async () => {
    ctx = await setup('2026-03-01T10:00:00Z');
    const orgId = (await createExample(ctx)).organisation.id;
    [a, b] = (await ctx.c.store.write(async (q) => {
      const ids: number[] = [];
      for (const name of ['A', 'B']) {
        ids.push(
          (
            await q.sso.insertConnection({
              organisationId: orgId,
              protocol: 'saml',
              name,
              config: {},
              secret: null,
              at: '2026-03-01T10:00:00Z',
            })
          ).id,
        );
      }
      return ids;
    })) as [number, number];
  });
  afterEach(() => ctx.cleanup());

  test('When a SAML request id is taken, then only by its own connection, only once, and only while fresh', async () => {
    // Each test's steps in one write, as a use case runs them.
    await ctx.c.store.write(async ({ ssoState: s }) => {
      await s.saveSamlRequest(a, '_r1', '2026-03-01T10:00:00.000Z');
      assert.equal(
        await s.takeSamlRequest(b, '_r1', '2026-03-01T09:50:00.000Z'),
        false,
        'another connection’s request',
      );
      assert.equal(
        await s.takeSamlRequest(a, '_r1', '2026-03-01T10:00:01.000Z'),
        false,
        'made before notBefore: too old',
      );
      assert.equal(await s.takeSamlRequest(a, '_r1', '2026-03-01T09:50:00.000Z'), true);
      assert.equal(await s.takeSamlRequest(a, '_r1', '2026-03-01T09:50:00.000Z'), false, 'one-time');
    });
  });

  test('When an assertion id is consumed, then a second use is refused until it is pruned after expiry', async () => {
    await ctx.c.store.write(async ({ ssoState: s }) => {
      assert.equal(await s.consumeAssertion(a, '_as1', '2026-03-01T10:05:00.000Z'), true);
      assert.equal(await s.consumeAssertion(a, '_as1', '2026-03-01T10:05:00.000Z'), false);
      assert.equal(await s.consumeAssertion(b, '_as1', '2026-03-01T10:05:00.000Z'), true, 'per connection');
      assert.equal(await s.prune('2026-03-01T10:06:00.000Z', '2026-03-01T09:00:00.000Z'), 2);
      assert.equal(await s.consumeAssertion(a, '_as1', '2026-03-01T10:10:00.000Z'), true);
    });
  });

  test('When a login state is taken, then it comes back once with its data, and never after it expired', async () => {
    await ctx.c.store.write(async ({ ssoState: s }) => {
      await s.putLoginState('st1', a, { nonce: 'n', codeVerifier: 'v' }, '2026-03-01T10:10:00.000Z');
      assert.deepEqual(await s.takeLoginState('st1', '2026-03-01T10:01:00.000Z'), {
        connectionId: a,
        data: { nonce: 'n', codeVerifier: 'v' },
      });
      assert.equal(await s.takeLoginState('st1', '2026-03-01T10:01:00.000Z'), undefined);
      await s.putLoginState('st2', a, {}, '2026-03-01T10:10:00.000Z');
      assert.equal(await s.takeLoginState('st2', '2026-03-01T10:10:00.000Z'), undefined, 'expired');
    });
  });

  test('When a session is looked up, then it is found by its hash until it expires or is revoked', async () => {
    await ctx.c.store.write(async ({ ssoState: s }) => {
      await s.createSession('h1', 1, 1, '2026-03-01T10:00:00.000Z', '2026-03-01T18:00:00.000Z');
      assert.equal((await s.session('h1', '2026-03-01T12:00:00.000Z'))?.memberId, 1);
      assert.equal(await s.session('h1', '2026-03-01T18:00:00.000Z'), undefined, 'expired');
      await s.revokeSession('h1', '2026-03-01T12:00:00.000Z');
      assert.equal(await s.session('h1', '2026-03-01T12:00:00.000Z'), undefined, 'revoked');
    });
  });
});
