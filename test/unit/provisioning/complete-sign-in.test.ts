// The sign-in command: one write takes the login state, uses up the protocol's one-time ids, signs
// the person in (or creates their account and claims a seat), starts the session and records any
// refusal, over a real database file.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { DomainError, SignInRefusedError } from '../../../domain/errors.js';
import { OPERATOR } from '../../../domain/model.js';
import type { ExternalIdentity } from '../../../provisioning/identity.js';
import type { CheckedAnswer, OneTimeIds, SignInOutcome } from '../../../provisioning/sign-in.js';
import { SsoError } from '../../../sso/errors.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';
import { inspect } from '../../helpers/inspect.js';

describe('Completing a sign-in as one write', () => {
  let ctx: TestContext;
  let orgId: number;
  let connectionId: number;

  beforeEach(async () => {
    ctx = await setup('2026-03-01T10:00:00Z');
    // Two standard seats: the owner's invitation holds one, the other is free.
    orgId = (await createExample(ctx, { seats: { standard: 2, premium: 0 } })).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    connectionId = await ctx.c.store.write(
      async (q) =>
        (
          await q.sso.insertConnection({
            organisationId: orgId,
            protocol: 'saml',
            name: 'Acme IdP',
            config: {},
            secret: null,
            at: '2026-01-01T00:00:00Z',
          })
        ).id,
    );
  });
  afterEach(() => ctx.cleanup());

  const person = (subject: string): ExternalIdentity => ({
    connectionId,
    subject,
    email: `${subject}@acme.example`,
    emailVerified: true,
    displayName: subject,
    groups: [],
  });
  const audit = async (action: string) =>
    (await inspect(ctx.c.store).audit(orgId)).filter((a) => a.action === action);

  /** What a SAML answer does with the one-time ids: the assertion id is usable once. */
  const assertion =
    (identity: ExternalIdentity, assertionId: string) =>
    async (ids: OneTimeIds): Promise<CheckedAnswer> =>
      (await ids.consumeAssertion(connectionId, assertionId, ctx.clock.now().plus({ minutes: 5 })))
        ? { identity, returnTo: '/console' }
        : { rejected: new SsoError('saml_replayed') };

  const complete = (
    check: (ids: OneTimeIds) => Promise<CheckedAnswer>,
    loginState?: string,
  ): Promise<SignInOutcome> => ctx.c.signIn.complete({ connectionId, loginState, check });

  test('When someone signs in for the first time, then the member is created with a seat and a live session', async () => {
    const outcome = await complete(assertion(person('ada'), '_a1'));
    assert.ok('signed' in outcome, JSON.stringify(outcome));
    assert.equal(outcome.signed.outcome, 'created');
    assert.equal(outcome.signed.member.seatState, 'seated');
    assert.equal(outcome.signed.member.tierId, 'standard');
    assert.equal(outcome.returnTo, '/console');
    assert.equal(
      (await ctx.c.sessions.signedIn(outcome.session.secret))?.member.id,
      outcome.signed.member.id,
    );
    assert.equal((await audit('member.signed_in')).length, 1);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When the pool is full, then the sign-in is refused with the clear message, nothing is created, and the refusal is recorded', async () => {
    assert.ok('signed' in (await complete(assertion(person('ada'), '_a1')))); // the last free seat
    const outcome = await complete(assertion(person('bob'), '_a2'));
    assert.ok('refused' in outcome, JSON.stringify(outcome));
    assert.ok(outcome.refused instanceof SignInRefusedError);
    assert.equal(outcome.refused.code, 'no_seats');
    assert.match(outcome.refused.message, /no available seats/i);
    assert.equal(typeof outcome.refused.details.seatRequestTicket, 'string', 'a way to ask for a seat');
    assert.equal((await ctx.c.store.read((q) => q.members.withEmail(orgId, 'bob@acme.example'))).length, 0);
    const refused = await audit('sign_in.refused');
    assert.equal(refused.length, 1);
    assert.deepEqual(refused[0]!.after, { code: 'no_seats', email: 'bob@acme.example' });
    assert.ok(await heldMatchesMembers(ctx, orgId));
    // What the refused attempt used up stays used up: its assertion cannot be posted again.
    const again = await complete(assertion(person('bob'), '_a2'));
    assert.ok('rejected' in again && again.rejected.code === 'saml_replayed');
  });

  test('When an assertion id is used a second time, then it is rejected, recorded, and nobody is signed in again', async () => {
    const first = await complete(assertion(person('ada'), '_same'));
    assert.ok('signed' in first);
    const replay = await complete(assertion(person('ada'), '_same'));
    assert.ok('rejected' in replay, JSON.stringify(replay));
    assert.ok(replay.rejected instanceof DomainError);
    assert.equal(replay.rejected.code, 'saml_replayed');
    assert.deepEqual(
      (await audit('sign_in.rejected')).map((a) => a.after),
      [{ code: 'saml_replayed' }],
    );
    assert.equal((await audit('member.signed_in')).length, 1, 'only the first signed in');
  });

  test('When an answer names its login state, then the state is taken once: a second answer finds none', async () => {
    await ctx.c.sso.saveLoginState(connectionId, { protocol: 'saml', requestId: '_r1' }, 'relay-1');
    const seen: unknown[] = [];
    const check = async (
      _ids: OneTimeIds,
      saved?: { data: Readonly<Record<string, unknown>> },
    ): Promise<CheckedAnswer> => {
      seen.push(saved?.data.requestId);
      return saved ? { identity: person('ada'), returnTo: '/console' } : { restart: true };
    };
    assert.ok('signed' in (await ctx.c.signIn.complete({ connectionId, loginState: 'relay-1', check })));
    assert.ok('restart' in (await ctx.c.signIn.complete({ connectionId, loginState: 'relay-1', check })));
    assert.deepEqual(seen, ['_r1', undefined]);
  });

  test('When the browser had a session, then signing in ends it and starts a new one', async () => {
    const first = await complete(assertion(person('ada'), '_a1'));
    assert.ok('signed' in first);
    const second = await ctx.c.signIn.complete({
      connectionId,
      previousSession: first.session.secret,
      check: assertion(person('ada'), '_a2'),
    });
    assert.ok('signed' in second);
    assert.equal(await ctx.c.sessions.signedIn(first.session.secret), undefined, 'the old session ended');
    assert.ok(await ctx.c.sessions.signedIn(second.session.secret));
  });
});
