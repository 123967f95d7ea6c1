// Seat settlement (provisioning/directory/seat-settlement.ts) through the directory over a real
// database file: which tier a create or a reactivation claims, and what policy reject and policy
// hold do when no seat is left.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { SeatLimitError } from '../../../domain/errors.js';
import { OPERATOR } from '../../../domain/model.js';
import type { DirectoryUserInput, Member } from '../../../provisioning/directory.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';

const user = (userName: string, extra: Partial<DirectoryUserInput> = {}): DirectoryUserInput => ({
  userName,
  externalId: null,
  active: true,
  displayName: null,
  email: null,
  tier: null,
  resource: { userName },
  ...extra,
});

describe('Seat settlement of directory users', () => {
  let ctx: TestContext;
  let orgId: number;

  /** Acme with 2 standard seats (the primary owner's invitation holds one) and 1 premium seat. */
  beforeEach(async () => {
    ctx = await setup('2026-02-01T10:00:00Z');
    orgId = (await createExample(ctx, { seats: { standard: 2, premium: 1 } })).organisation.id;
  });
  afterEach(() => ctx.cleanup());

  const directory = () => ctx.c.directory;
  const memberCount = () => ctx.c.store.read(async (q) => (await q.members.list(orgId)).length);
  const refused = async () => (await directory().waiting(orgId)).refused.map((r) => [r.userName, r.attempts]);
  const seatsAgree = async () =>
    assert.ok(await heldMatchesMembers(ctx, orgId), 'pool held equals member rows');

  test('When the provider asks for a tier, then the create claims that tier even if a higher one is free', async () => {
    const member = await directory().createUser(
      orgId,
      user('ada@acme.example', { tier: 'standard' }),
      OPERATOR,
    );
    assert.deepEqual([member.seatState, member.tierId], ['seated', 'standard']);
    await seatsAgree();
  });

  test('When the provider asks for no tier, then the create claims the highest tier available, then the next', async () => {
    const first = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    const second = await directory().createUser(orgId, user('bob@acme.example'), OPERATOR);
    assert.deepEqual([first.tierId, second.tierId], ['premium', 'standard']);
    await seatsAgree();
  });

  test('When mappings are on and no tier is asked for, then a tier-mapped group decides the tier', async () => {
    await directory().configureGroupMappings(
      orgId,
      { enabled: true, set: [{ groupName: 'Support', role: 'user', tierId: 'standard' }] },
      OPERATOR,
    );
    const ada = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    assert.equal(ada.seatState, 'unmapped', 'in no role-mapped group yet');
    await directory().createGroup(
      orgId,
      { displayName: 'Support', externalId: null, members: [ada.publicId] },
      OPERATOR,
    );
    const settled = await directory().getUser(orgId, ada.publicId);
    assert.deepEqual(
      [settled.seatState, settled.tierId],
      ['seated', 'standard'],
      'not the free premium seat',
    );
    await seatsAgree();
  });

  test('When no seat is left under policy reject, then the create is refused, nothing is stored and the attempt is recorded', async () => {
    await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    await directory().createUser(orgId, user('bob@acme.example'), OPERATOR);
    const before = await memberCount();
    await assert.rejects(
      () => directory().createUser(orgId, user('cy@acme.example'), OPERATOR),
      SeatLimitError,
    );
    assert.equal(await memberCount(), before, 'no member row for the refused user');
    assert.deepEqual(await refused(), [['cy@acme.example', 1]]);
    await assert.rejects(
      () => directory().createUser(orgId, user('cy@acme.example'), OPERATOR),
      SeatLimitError,
    );
    assert.deepEqual(await refused(), [['cy@acme.example', 2]], 'the same attempt, counted again');
    await seatsAgree();
  });

  test('When no seat is left under policy hold, then the user is created awaiting a seat and seated when one frees up', async () => {
    await directory().setSeatExhaustion(orgId, 'hold', OPERATOR);
    const ada = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    await directory().createUser(orgId, user('bob@acme.example'), OPERATOR);
    const cy = await directory().createUser(orgId, user('cy@acme.example'), OPERATOR);
    assert.deepEqual([cy.seatState, cy.tierId], ['awaiting_seat', null]);
    assert.deepEqual(
      (await directory().waiting(orgId)).awaiting.map((m) => m.email),
      ['cy@acme.example'],
    );
    assert.deepEqual(await refused(), [], 'hold records no refusal');
    await directory().replaceUser(orgId, ada.publicId, user('ada@acme.example', { active: false }), OPERATOR);
    const seated = await directory().getUser(orgId, cy.publicId);
    assert.deepEqual(
      [seated.seatState, seated.tierId],
      ['seated', 'premium'],
      'the freed seat goes to the waiting user',
    );
    await seatsAgree();
  });

  test('When a deactivated user is reactivated, then a seat is claimed again; refused under reject, the user stays deactivated and the attempt is recorded', async () => {
    const ada = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    const off = await directory().replaceUser(
      orgId,
      ada.publicId,
      user('ada@acme.example', { active: false }),
      OPERATOR,
    );
    assert.deepEqual([off.seatState, off.tierId], ['deactivated', null]);
    const on = await directory().replaceUser(orgId, ada.publicId, user('ada@acme.example'), OPERATOR);
    assert.deepEqual([on.seatState, on.tierId], ['seated', 'premium']);

    await directory().replaceUser(orgId, ada.publicId, user('ada@acme.example', { active: false }), OPERATOR);
    await directory().createUser(orgId, user('bob@acme.example'), OPERATOR);
    await directory().createUser(orgId, user('cy@acme.example'), OPERATOR);
    await assert.rejects(
      () =>
        directory().replaceUser(
          orgId,
          ada.publicId,
          user('ada@acme.example', { displayName: 'Ada' }),
          OPERATOR,
        ),
      SeatLimitError,
    );
    const after = await directory().getUser(orgId, ada.publicId);
    assert.deepEqual(
      [after.seatState, after.displayName],
      ['deactivated', null],
      'the refused replace left nothing',
    );
    assert.deepEqual(await refused(), [['ada@acme.example', 1]]);
    await seatsAgree();
  });

  test('When a seated user asks for another tier, then the seat moves to it', async () => {
    const ada = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    const moved = await directory().replaceUser(
      orgId,
      ada.publicId,
      user('ada@acme.example', { tier: 'standard' }),
      OPERATOR,
    );
    assert.deepEqual([moved.seatState, moved.tierId], ['seated', 'standard']);
    await seatsAgree();
  });

  test('When the primary owner is deactivated through the directory, then it is refused', async () => {
    const owner = await ctx.c.store.read(async (q) =>
      (await q.members.list(orgId)).find((m) => m.role === 'primary_owner')!,
    );
    const linked = await directory().createUser(orgId, user(owner.email), OPERATOR);
    assert.equal(linked.id, owner.id, 'the create linked the primary owner');
    await assert.rejects(
      () => directory().replaceUser(orgId, linked.publicId, user(owner.email, { active: false }), OPERATOR),
      (e: unknown) => e instanceof Error && 'code' in e && e.code === 'primary_owner_protected',
    );
  });

  test('When a group membership change finds no seat under reject, then the group request succeeds and the person waits on the list', async () => {
    await directory().configureGroupMappings(
      orgId,
      { enabled: true, set: [{ groupName: 'Staff', role: 'user', tierId: null }] },
      OPERATOR,
    );
    const people: Member[] = [];
    for (const n of ['ada', 'bob', 'cy']) {
      people.push(await directory().createUser(orgId, user(`${n}@acme.example`), OPERATOR));
    }
    const group = await directory().createGroup(
      orgId,
      { displayName: 'Staff', externalId: null, members: people.map((p) => p.publicId) },
      OPERATOR,
    );
    assert.equal((await directory().groupMembers(group)).length, 3);
    const states = [];
    for (const p of people) states.push((await directory().getUser(orgId, p.publicId)).seatState);
    assert.deepEqual(states, ['seated', 'seated', 'unmapped']);
    assert.deepEqual(await refused(), [['cy@acme.example', 1]]);
    await seatsAgree();
  });
});
