// The waiting list (provisioning/directory/waiting-list.ts) over a real database file: who waits,
// and "sync now", which seats them once seats are free.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import type { DirectoryUserInput, Member } from '../../../provisioning/directory.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';

const user = (userName: string): DirectoryUserInput => ({
  userName,
  externalId: null,
  active: true,
  displayName: null,
  email: null,
  tier: null,
  resource: { userName },
});

describe('The waiting list', () => {
  let ctx: TestContext;
  let orgId: number;

  /** Acme with 3 standard seats, the primary owner's invitation holding one: 2 are free. */
  beforeEach(async () => {
    ctx = await setup('2026-02-01T10:00:00Z');
    orgId = (await createExample(ctx, { seats: { standard: 3, premium: 0 } })).organisation.id;
  });
  afterEach(() => ctx.cleanup());

  const directory = () => ctx.c.directory;
  /** Creates the users one after another, in this order. */
  const createUsers = async (names: readonly string[]): Promise<Member[]> => {
    const created: Member[] = [];
    for (const n of names)
      created.push(await directory().createUser(orgId, user(`${n}@acme.example`), OPERATOR));
    return created;
  };
  const stateOf = (m: Member) =>
    ctx.c.store.read(async (q) => (await q.members.byId(orgId, m.id))!.seatState);

  test('When a seat frees up, then "sync now" seats the member a group membership could not seat, and closes the attempt', async () => {
    await directory().configureGroupMappings(
      orgId,
      { enabled: true, set: [{ groupName: 'Staff', role: 'user', tierId: null }] },
      OPERATOR,
    );
    const [ada, bob, cy] = (await createUsers(['ada', 'bob', 'cy'])) as [Member, Member, Member];
    await directory().createGroup(
      orgId,
      { displayName: 'Staff', externalId: null, members: [ada.publicId, bob.publicId, cy.publicId] },
      OPERATOR,
    );
    assert.deepEqual(
      (await directory().waiting(orgId)).refused.map((r) => r.userName),
      ['cy@acme.example'],
    );
    assert.equal(await directory().syncNow(orgId, OPERATOR), 0, 'no seat is free yet');
    await directory().deleteUser(orgId, ada.publicId, OPERATOR);
    assert.equal(await stateOf(cy), 'unmapped', 'a freed seat goes by itself only to members awaiting one');
    assert.equal(await directory().syncNow(orgId, OPERATOR), 1);
    assert.equal(await stateOf(cy), 'seated');
    assert.deepEqual(await directory().waiting(orgId), { refused: [], awaiting: [] });
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When mappings are off, then "sync now" seats the members awaiting a seat, first come first served', async () => {
    await directory().setSeatExhaustion(orgId, 'hold', OPERATOR);
    const [, , cy, dan] = (await createUsers(['ada', 'bob', 'cy', 'dan'])) as [
      Member,
      Member,
      Member,
      Member,
    ];
    assert.deepEqual(
      (await directory().waiting(orgId)).awaiting.map((m) => m.email),
      ['cy@acme.example', 'dan@acme.example'],
    );
    // Seats bought outside the directory (the billing flow seats the waiting itself; here nothing does).
    await ctx.c.store.write((q) => q.seatPools.raiseAllocation(orgId, 'standard', 1));
    assert.equal(await directory().syncNow(orgId, OPERATOR), 1);
    assert.deepEqual([await stateOf(cy), await stateOf(dan)], ['seated', 'awaiting_seat']);
  });
});
