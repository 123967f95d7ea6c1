// The sign-in state tables: every value is handed out once, per connection, until it expires.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

describe('Sign-in state', () => {
  let ctx: TestContext;
  let a: number;
  let b: number;

  beforeEach(() => {
    ctx = setup('2026-03-01T10:00:00Z');
    const orgId = createExample(ctx).organisation.id;
    [a, b] = ctx.c.store.write((q) =>
      ['A', 'B'].map(
        (name) =>
          q.sso.insertConnection({
            organisationId: orgId,
            protocol: 'saml',
            name,
            config: {},
            secret: null,
            at: '2026-03-01T10:00:00Z',
          }).id,
      ),
    ) as [number, number];
  });
  afterEach(() => ctx.cleanup());

  test('When a SAML request id is taken, then only by its own connection, only once, and only while fresh', () => {
    const s = ctx.c.store.queries.ssoState;
    s.saveSamlRequest(a, '_r1', '2026-03-01T10:00:00.000Z');
    assert.equal(
      s.takeSamlRequest(b, '_r1', '2026-03-01T09:50:00.000Z'),
      false,
      'another connection’s request',
    );
    assert.equal(
      s.takeSamlRequest(a, '_r1', '2026-03-01T10:00:01.000Z'),
      false,
      'made before notBefore: too old',
    );
    assert.equal(s.takeSamlRequest(a, '_r1', '2026-03-01T09:50:00.000Z'), true);
    assert.equal(s.takeSamlRequest(a, '_r1', '2026-03-01T09:50:00.000Z'), false, 'one-time');
  });

  test('When an assertion id is consumed, then a second use is refused until it is pruned after expiry', () => {
    const s = ctx.c.store.queries.ssoState;
    assert.equal(s.consumeAssertion(a, '_as1', '2026-03-01T10:05:00.000Z'), true);
    assert.equal(s.consumeAssertion(a, '_as1', '2026-03-01T10:05:00.000Z'), false);
    assert.equal(s.consumeAssertion(b, '_as1', '2026-03-01T10:05:00.000Z'), true, 'per connection');
    assert.equal(s.prune('2026-03-01T10:06:00.000Z', '2026-03-01T09:00:00.000Z'), 2);
    assert.equal(s.consumeAssertion(a, '_as1', '2026-03-01T10:10:00.000Z'), true);
  });

  test('When a login state is taken, then it comes back once with its data, and never after it expired', () => {
    const s = ctx.c.store.queries.ssoState;
    s.putLoginState('st1', a, { nonce: 'n', codeVerifier: 'v' }, '2026-03-01T10:10:00.000Z');
    assert.deepEqual(s.takeLoginState('st1', '2026-03-01T10:01:00.000Z'), {
      connectionId: a,
      data: { nonce: 'n', codeVerifier: 'v' },
    });
    assert.equal(s.takeLoginState('st1', '2026-03-01T10:01:00.000Z'), undefined);
    s.putLoginState('st2', a, {}, '2026-03-01T10:10:00.000Z');
    assert.equal(s.takeLoginState('st2', '2026-03-01T10:10:00.000Z'), undefined, 'expired');
  });

  test('When a session is looked up, then it is found by its hash until it expires or is revoked', () => {
    const s = ctx.c.store.queries.ssoState;
    s.createSession('h1', 1, 1, '2026-03-01T10:00:00.000Z', '2026-03-01T18:00:00.000Z');
    assert.equal(s.session('h1', '2026-03-01T12:00:00.000Z')?.memberId, 1);
    assert.equal(s.session('h1', '2026-03-01T18:00:00.000Z'), undefined, 'expired');
    s.revokeSession('h1', '2026-03-01T12:00:00.000Z');
    assert.equal(s.session('h1', '2026-03-01T12:00:00.000Z'), undefined, 'revoked');
  });
});
