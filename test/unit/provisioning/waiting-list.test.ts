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
  beforeEach(() => {
    ctx = setup('2026-02-01T10:00:00Z');
    orgId = createExample(ctx, { seats: { standard: 3, premium: 0 } }).organisation.id;
  });
  afterEach(() => ctx.cleanup());

  const directory = () => ctx.c.directory;
  const stateOf = (m: Member) => ctx.c.store.read((q) => q.members.byId(orgId, m.id)!.seatState);

  test('When a seat frees up, then "sync now" seats the member a group membership could not seat, and closes the attempt', () => {
    directory().configureGroupMappings(
      orgId,
      { enabled: true, set: [{ groupName: 'Staff', role: 'user', tierId: null }] },
      OPERATOR,
    );
    const [ada, bob, cy] = ['ada', 'bob', 'cy'].map((n) =>
      directory().createUser(orgId, user(`${n}@acme.example`), OPERATOR),
    ) as [Member, Member, Member];
    directory().createGroup(
      orgId,
      { displayName: 'Staff', externalId: null, members: [ada.publicId, bob.publicId, cy.publicId] },
      OPERATOR,
    );
    assert.deepEqual(
      directory()
        .waiting(orgId)
        .refused.map((r) => r.userName),
      ['cy@acme.example'],
    );
    assert.equal(directory().syncNow(orgId, OPERATOR), 0, 'no seat is free yet');
    directory().deleteUser(orgId, ada.publicId, OPERATOR);
    assert.equal(stateOf(cy), 'unmapped', 'a freed seat goes by itself only to members awaiting one');
    assert.equal(directory().syncNow(orgId, OPERATOR), 1);
    assert.equal(stateOf(cy), 'seated');
    assert.deepEqual(directory().waiting(orgId), { refused: [], awaiting: [] });
    assert.ok(heldMatchesMembers(ctx, orgId));
  });

  test('When mappings are off, then "sync now" seats the members awaiting a seat, first come first served', () => {
    directory().setSeatExhaustion(orgId, 'hold', OPERATOR);
    const [, , cy, dan] = ['ada', 'bob', 'cy', 'dan'].map((n) =>
      directory().createUser(orgId, user(`${n}@acme.example`), OPERATOR),
    ) as [Member, Member, Member, Member];
    assert.deepEqual(
      directory()
        .waiting(orgId)
        .awaiting.map((m) => m.email),
      ['cy@acme.example', 'dan@acme.example'],
    );
    // Seats bought outside the directory (the billing flow seats the waiting itself; here nothing does).
    ctx.c.store.write((q) => q.seatPools.raiseAllocation(orgId, 'standard', 1));
    assert.equal(directory().syncNow(orgId, OPERATOR), 1);
    assert.deepEqual([stateOf(cy), stateOf(dan)], ['seated', 'awaiting_seat']);
  });
});
