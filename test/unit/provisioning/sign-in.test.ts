// Sign-in and just-in-time accounts through the real services over a real database file: the
// fixed resolution order, one transaction per JIT account, and every refusal with its stable code.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { SignInRefusedError } from '../../../domain/errors.js';
import { LOWEST, OPERATOR } from '../../../domain/model.js';
import type { ExternalIdentity } from '../../../provisioning/identity.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';
import { inspect } from '../../helpers/inspect.js';

describe('Signing in through an identity provider', () => {
  let ctx: TestContext;
  let orgId: number;
  let connectionId: number;

  beforeEach(async () => {
    ctx = await setup('2026-03-01T10:00:00Z');
    orgId = (await createExample(ctx, { seats: { standard: 3, premium: 1 } })).organisation.id;
    await ctx.c.directory.setProvisioningMode(orgId, 'jit', OPERATOR);
    connectionId = await ctx.c.store.write(
      async (q) =>
        (
          await q.sso.insertConnection({
            organisationId: orgId,
            protocol: 'oidc',
            name: 'Acme IdP',
            config: {},
            secret: 's',
            at: '2026-01-01T00:00:00Z',
          })
        ).id,
    );
  });
  afterEach(() => ctx.cleanup());

  const person = (subject: string, extra: Partial<ExternalIdentity> = {}): ExternalIdentity => ({
    connectionId,
    subject,
    email: `${subject}@acme.example`,
    emailVerified: true,
    displayName: subject,
    groups: [],
    ...extra,
  });
  const refusedWith = (code: string) => (error: unknown) =>
    error instanceof SignInRefusedError && error.code === code;
  const audit = () => inspect(ctx.c.store).audit(orgId);

  test('When someone signs in for the first time, then one transaction creates a user with the highest available tier and links them; the next sign-in finds them', async () => {
    const first = await ctx.c.signIn.signIn(person('ada'));
    assert.equal(first.outcome, 'created');
    assert.deepEqual(
      [first.member.role, first.member.source, first.member.seatState, first.member.tierId],
      ['user', 'jit', 'seated', 'premium'],
    );
    const again = await ctx.c.signIn.signIn(person('ada', { email: 'renamed@acme.example' }));
    assert.deepEqual(
      [again.outcome, again.member.id],
      ['signed_in', first.member.id],
      'the link, not the address, decides',
    );
    assert.equal(
      (await ctx.c.signIn.signIn(person('bob'))).member.tierId,
      'standard',
      'premium is taken: the next highest',
    );
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When no seat is left, then the sign-in is refused with no_seats, nothing is created, and owners get one notice an hour', async () => {
    for (const who of ['a', 'b', 'c']) await ctx.c.signIn.signIn(person(who)); // premium + 2 standard; the owner's invitation holds the third
    await assert.rejects(
      () => ctx.c.signIn.signIn(person('late')),
      (e) => refusedWith('no_seats')(e) && /no available seats.*owner/i.test((e as Error).message),
    );
    await assert.rejects(() => ctx.c.signIn.signIn(person('later')), refusedWith('no_seats'));
    assert.equal((await ctx.c.store.read((q) => q.members.withEmail(orgId, 'late@acme.example'))).length, 0);
    assert.equal((await audit()).filter((a) => a.action === 'sign_in.refused').length, 2);
    assert.equal(
      (await audit()).filter((a) => a.action === 'owner_notice.no_seats').length,
      1,
      'once within the hour',
    );
    assert.deepEqual(
      (await ctx.c.directory.waiting(orgId)).refused.map((r) => r.userName),
      ['late@acme.example', 'later@acme.example'],
    );
    ctx.clock.advance({ minutes: 61 });
    await assert.rejects(() => ctx.c.signIn.signIn(person('late')), refusedWith('no_seats'));
    assert.equal(
      (await audit()).filter((a) => a.action === 'owner_notice.no_seats').length,
      2,
      'an hour later, again',
    );
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When an invited person signs in with a verified address, then the invitation is accepted and the identity linked', async () => {
    const { member } = await ctx.c.members.invite(
      orgId,
      { email: 'Invitee@acme.example', role: 'admin' },
      LOWEST,
      OPERATOR,
    );
    const signed = await ctx.c.signIn.signIn(person('invitee'));
    assert.deepEqual(
      [signed.outcome, signed.member.id, signed.member.seatState, signed.member.role],
      ['invitation_accepted', member.id, 'seated', 'admin'],
    );
    assert.equal((await ctx.c.signIn.signIn(person('invitee'))).outcome, 'signed_in');
  });

  test('When the provider does not vouch for the address, then it never links to the member who has it, nor makes a second account', async () => {
    await ctx.c.members.invite(orgId, { email: 'eve@acme.example', role: 'user' }, LOWEST, OPERATOR);
    await assert.rejects(
      () => ctx.c.signIn.signIn(person('eve', { emailVerified: false })),
      refusedWith('email_unverified'),
    );
    assert.equal(await ctx.c.store.read((q) => q.sso.linkedMember(connectionId, 'eve')), undefined);
  });

  test('When the address is not on a verified domain, or the organisation is not in JIT mode, then "you have not been given access"', async () => {
    await assert.rejects(
      () => ctx.c.signIn.signIn(person('mallory', { email: 'mallory@elsewhere.example' })),
      (e) => refusedWith('not_provisioned')(e) && /not been given access/.test((e as Error).message),
    );
    await ctx.c.directory.setProvisioningMode(orgId, 'invite_only', OPERATOR);
    await assert.rejects(() => ctx.c.signIn.signIn(person('nobody')), refusedWith('not_provisioned'));
    assert.equal((await inspect(ctx.c.store).members(orgId)).length, 1, 'only the owner');
  });

  test('When the member is deactivated or has no seat assigned, then the page says why', async () => {
    const ann = (await ctx.c.signIn.signIn(person('ann'))).member;
    await ctx.c.seats.unassign(orgId, ann.id, OPERATOR);
    await assert.rejects(() => ctx.c.signIn.signIn(person('ann')), refusedWith('seat_unassigned'));
    await ctx.c.seats.park(orgId, ann.id, 'deactivated', OPERATOR);
    await assert.rejects(() => ctx.c.signIn.signIn(person('ann')), refusedWith('member_deactivated'));
  });

  test('When an identity of another organisation carries this organisation’s address, then it is never linked here', async () => {
    const other = (await createExample(ctx, { slug: 'globex', seats: { standard: 5, premium: 0 } }))
      .organisation.id;
    await ctx.c.directory.setProvisioningMode(other, 'jit', OPERATOR);
    const otherConnection = await ctx.c.store.write(
      async (q) =>
        (
          await q.sso.insertConnection({
            organisationId: other,
            protocol: 'saml',
            name: 'Globex',
            config: {},
            secret: null,
            at: '2026-01-01T00:00:00Z',
          })
        ).id,
    );
    const ada = (await ctx.c.signIn.signIn(person('ada'))).member;
    await assert.rejects(
      () => ctx.c.signIn.signIn(person('ada', { connectionId: otherConnection })),
      refusedWith('not_provisioned'),
    );
    assert.equal(await ctx.c.store.read((q) => q.sso.linkedMember(otherConnection, 'ada')), undefined);
    assert.equal((await inspect(ctx.c.store).member(orgId, ada.id))!.seatState, 'seated');
  });

  describe('with advanced group mappings', () => {
    beforeEach(async () => {
      await ctx.c.directory.configureGroupMappings(
        orgId,
        {
          enabled: true,
          set: [
            { groupName: 'Engineering', role: 'admin', tierId: 'standard' },
            { groupName: 'Staff', role: 'user', tierId: null },
          ],
        },
        OPERATOR,
      );
    });

    test('When the person is in no role-mapped group, then refused; in several, the highest role, updated at every sign-in; the tier stays the highest available', async () => {
      await assert.rejects(
        () => ctx.c.signIn.signIn(person('kim', { groups: ['Book Club'] })),
        refusedWith('not_in_mapped_group'),
      );
      const kim = (await ctx.c.signIn.signIn(person('kim', { groups: ['staff', 'ENGINEERING'] }))).member;
      assert.deepEqual(
        [kim.role, kim.tierId],
        ['admin', 'premium'],
        'tier not taken from the mapping under JIT',
      );
      assert.equal(
        (await ctx.c.signIn.signIn(person('kim', { groups: ['Staff'] }))).member.role,
        'user',
        'demoted at the next sign-in',
      );
      await assert.rejects(
        () => ctx.c.signIn.signIn(person('kim', { groups: [] })),
        refusedWith('not_in_mapped_group'),
      );
    });

    test('When the provider could not list the groups (overage), then a new person is refused, an existing one keeps their role', async () => {
      await assert.rejects(
        () => ctx.c.signIn.signIn(person('lee', { groups: 'unknown' })),
        refusedWith('groups_unknown'),
      );
      await ctx.c.signIn.signIn(person('lee', { groups: ['Engineering'] }));
      assert.equal((await ctx.c.signIn.signIn(person('lee', { groups: 'unknown' }))).member.role, 'admin');
    });

    test('When the primary owner signs in outside every mapped group, then they are neither refused nor demoted', async () => {
      const owner = await ctx.c.signIn.signIn(person('owner', { groups: [] }));
      assert.deepEqual(
        [owner.outcome, owner.member.role, owner.member.seatState],
        ['invitation_accepted', 'primary_owner', 'seated'],
      );
    });
  });
});
