// Advanced group mappings through SCIM: a directory user is a member only while in a role-mapped
// group; the highest mapped role wins; a tier-mapped group names the seat tier; renames re-evaluate
// whole groups; and the primary owner is never demoted or deprovisioned by any of it.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { OPERATOR } from '../../../domain/model.js';
import { createExample, listen, scimToken, setup, type TestContext } from '../../helpers/fixtures.js';
import {
  expectSeats,
  expectStatus,
  scimClient,
  seatOf,
  type ScimClient,
  close,
  world,
  type World,
} from '../../helpers/scim-world.js';
import {
  entraAddMembers,
  entraCreateGroup,
  entraCreateUser,
  entraDeleteGroup,
  entraGetUser,
  entraRemoveMembers,
  entraRenameGroup,
  oktaCreateUser,
  oktaDeactivate,
  oktaGetUser,
  oktaReactivate,
} from '../../helpers/scim-requests.js';
import { inspect } from '../../helpers/inspect.js';

describe('Advanced group mappings', () => {
  let ctx: TestContext;
  let scim: ScimClient;
  let orgId: number;
  const users: Record<string, string> = {};
  const groups: Record<string, string> = {};

  const seat = async (who: string) => seatOf((await scim.send(entraGetUser(users[who]!))).body);
  const createGroup = async (name: string) => {
    const res = await scim.send(entraCreateGroup(name));
    expectStatus(res, 201);
    groups[name] = res.body.id;
  };

  let w: World;
  beforeAll(async () => {
    w = await world({ standard: 10, premium: 3 });
    ({ ctx, orgId, scim } = w);
    await ctx.c.store.write(async (q) => {
      await q.groupMappings.setEnabled(orgId, true);
      await q.groupMappings.set(orgId, { groupName: 'Engineering', role: 'admin', tierId: 'premium' });
      await q.groupMappings.set(orgId, { groupName: 'Everyone', role: 'user', tierId: 'standard' });
      await q.groupMappings.set(orgId, { groupName: 'IT Owners', role: 'owner', tierId: null });
      await q.groupMappings.set(orgId, { groupName: 'Premium Pilot', role: null, tierId: 'premium' });
    });
    for (const name of ['Engineering', 'Everyone', 'IT Owners', 'Premium Pilot', 'Book Club'])
      await createGroup(name);
  });
  afterAll(() => close(w));

  test('When a user is created outside every role-mapped group, then they are known to the directory but unmapped, without a seat', async () => {
    for (const name of ['ann', 'bob', 'cid']) {
      const res = await scim.send(entraCreateUser(`${name}@acme.example`));
      expectStatus(res, 201);
      users[name] = res.body.id;
      assert.deepEqual(seatOf(res.body), { seatState: 'unmapped', role: 'user' });
    }
    expectStatus(await scim.send(entraAddMembers(groups['Book Club']!, [users.ann!])), 204);
    assert.equal((await seat('ann')).seatState, 'unmapped', 'an unmapped group changes nothing');
    await expectSeats(ctx, orgId, { standard: { held: 1, seated: 0 } });
  });

  test('When a user joins a tier-only mapped group, then they are still not a member', async () => {
    expectStatus(await scim.send(entraAddMembers(groups['Premium Pilot']!, [users.cid!])), 204);
    assert.deepEqual(await seat('cid'), { seatState: 'unmapped', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 1, seated: 0 } });
  });

  test('When users join a role-mapped group, then they are provisioned with its role and the tier its mapping names', async () => {
    expectStatus(await scim.send(entraAddMembers(groups.Everyone!, [users.ann!, users.bob!])), 204);
    assert.deepEqual(await seat('ann'), { tier: 'standard', seatState: 'seated', role: 'user' });
    assert.deepEqual(await seat('bob'), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } });
  });

  test('When a user in a tier-mapped group joins a role-mapped group, then the tier comes from the tier-mapped group', async () => {
    const res = await scim.send(entraAddMembers(groups.Everyone!, [users.cid!]));
    expectStatus(res, 204);
    // Everyone maps standard, Premium Pilot maps premium: the higher mapped tier wins.
    assert.deepEqual(await seat('cid'), { tier: 'premium', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 }, premium: { held: 1, seated: 1 } });
  });

  test('When a member is in several role-mapped groups, then the highest role wins whatever the order', async () => {
    expectStatus(await scim.send(entraAddMembers(groups['IT Owners']!, [users.bob!])), 204);
    assert.equal((await seat('bob')).role, 'owner');
    expectStatus(await scim.send(entraAddMembers(groups.Engineering!, [users.bob!])), 204);
    assert.equal((await seat('bob')).role, 'owner', 'admin from Engineering does not lower owner');
    expectStatus(await scim.send(entraRemoveMembers(groups['IT Owners']!, [users.bob!])), 204);
    assert.equal((await seat('bob')).role, 'admin', 'leaving the owner group leaves the next highest');
    assert.equal((await seat('bob')).seatState, 'seated');
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 }, premium: { held: 1, seated: 1 } });
  });

  test('When a member leaves every role-mapped group, then they are deprovisioned and the seat released', async () => {
    expectStatus(await scim.send(entraRemoveMembers(groups.Everyone!, [users.ann!])), 204);
    assert.deepEqual(await seat('ann'), { seatState: 'unmapped', role: 'user' });
    const user = (await scim.send(entraGetUser(users.ann!))).body;
    assert.equal(user.active, true, 'still active in the directory');
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } });
  });

  test('When a user is created already named in a role-mapped group by a later add, then deactivation and reactivation follow the mapping', async () => {
    expectStatus(await scim.send(entraAddMembers(groups.Everyone!, [users.ann!])), 204);
    assert.equal((await seat('ann')).seatState, 'seated');
    assert.ok([200, 204].includes((await scim.send(oktaDeactivate(users.ann!))).status));
    assert.equal((await seat('ann')).seatState, 'deactivated');
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } });
    assert.ok([200, 204].includes((await scim.send(oktaReactivate(users.ann!))).status));
    assert.deepEqual(await seat('ann'), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 }, premium: { held: 1, seated: 1 } });
  });

  test('When an unmapped group is renamed into a mapping, then all its members are provisioned', async () => {
    const res = await scim.send(entraCreateUser('dee@acme.example'));
    users.dee = res.body.id;
    expectStatus(await scim.send(entraAddMembers(groups['Book Club']!, [users.dee!])), 204);
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 }, premium: { held: 1, seated: 1 } });
    // Book Club (ann, dee) is to become "IT Owners"; the old group of that name goes first (bob
    // is also in Engineering, so he stays provisioned).
    expectStatus(await scim.send(entraDeleteGroup(groups['IT Owners']!)), 204);
    expectStatus(await scim.send(entraRenameGroup(groups['Book Club']!, 'IT Owners')), 204);
    assert.deepEqual(await seat('dee'), { tier: 'premium', seatState: 'seated', role: 'owner' });
    assert.equal((await seat('ann')).role, 'owner', 'ann, in Everyone and now IT Owners, is promoted');
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 }, premium: { held: 2, seated: 2 } });
  });

  test('When a mapped group is renamed out of its mapping, then members with no other role group are deprovisioned', async () => {
    expectStatus(await scim.send(entraRenameGroup(groups['Book Club']!, 'Book Club')), 204);
    assert.equal((await seat('dee')).seatState, 'unmapped');
    assert.deepEqual(await seat('ann'), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 }, premium: { held: 1, seated: 1 } });
  });

  test('When a role-mapped group is deleted, then its members without another role group are deprovisioned', async () => {
    // cid: Everyone + Premium Pilot; bob: Everyone + Engineering.
    expectStatus(await scim.send(entraDeleteGroup(groups.Everyone!)), 204);
    assert.equal((await seat('cid')).seatState, 'unmapped');
    assert.equal((await seat('ann')).seatState, 'unmapped');
    assert.deepEqual(await seat('bob'), { tier: 'standard', seatState: 'seated', role: 'admin' });
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } });
  });

  test('When the primary owner is in the directory, then no group change demotes or deprovisions them', async () => {
    const res = await scim.send(oktaCreateUser('owner@acme.example'));
    expectStatus(res, 201);
    users.owner = res.body.id;
    assert.equal(seatOf(res.body).role, 'primary_owner', 'outside every role group, still the primary owner');
    assert.notEqual(seatOf(res.body).seatState, 'unmapped');
    expectStatus(await scim.send(entraAddMembers(groups['Book Club']!, [users.owner!])), 204);
    const recreated = await scim.send(entraCreateGroup('Everyone'));
    groups.Everyone = recreated.body.id;
    expectStatus(await scim.send(entraAddMembers(groups.Everyone!, [users.owner!])), 204);
    expectStatus(await scim.send(entraRenameGroup(groups['Book Club']!, 'IT Owners')), 204);
    expectStatus(await scim.send(entraRemoveMembers(groups.Everyone!, [users.owner!])), 204);
    expectStatus(await scim.send(entraDeleteGroup(groups['Book Club']!)), 204);
    const owner = (await scim.send(oktaGetUser(users.owner!))).body;
    assert.equal(seatOf(owner).role, 'primary_owner');
    assert.equal(seatOf(owner).seatState, 'invited');
    assert.equal(owner.active, true);
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } });
  });
});

describe('Advanced group mappings with a full pool (policy reject)', () => {
  let ctx: TestContext;
  let scim: ScimClient;
  let orgId: number;

  let w: World;
  beforeAll(async () => {
    // Two standard seats: the primary owner's invitation holds one, one is free.
    w = await world({ standard: 2, premium: 0 });
    ({ ctx, orgId, scim } = w);
    await ctx.c.store.write(async (q) => {
      await q.groupMappings.setEnabled(orgId, true);
      await q.groupMappings.set(orgId, { groupName: 'Everyone', role: 'user', tierId: null });
    });
  });
  afterAll(() => close(w));

  test('When a membership change would seat more users than there are seats, then the group request succeeds, the extra user waits on the list, and "sync now" seats them once seats are bought', async () => {
    const ids: string[] = [];
    for (const name of ['pam', 'quinn']) {
      const res = await scim.send(entraCreateUser(`${name}@acme.example`));
      expectStatus(res, 201);
      ids.push(res.body.id);
    }
    const group = await scim.send(entraCreateGroup('Everyone'));
    expectStatus(await scim.send(entraAddMembers(group.body.id, ids)), 204);
    const [pam, quinn] = await Promise.all(
      ids.map(async (id) => seatOf((await scim.send(entraGetUser(id))).body)),
    );
    assert.equal(pam!.seatState, 'seated');
    assert.equal(quinn!.seatState, 'unmapped', 'no seat was free');
    assert.deepEqual(
      (await ctx.c.directory.waiting(orgId)).refused.map((e) => e.userName),
      ['quinn@acme.example'],
    );
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } });

    const quote = await ctx.c.billing.quote(orgId, { add: { standard: 1 } }, OPERATOR);
    await ctx.c.billing.confirm(orgId, quote.id, OPERATOR);
    assert.equal(seatOf((await scim.send(entraGetUser(ids[1]!))).body).seatState, 'unmapped');
    // Entra never sends that membership again; "sync now" is what seats quinn.
    assert.equal(await ctx.c.directory.syncNow(orgId, OPERATOR), 1);
    assert.deepEqual(seatOf((await scim.send(entraGetUser(ids[1]!))).body), {
      tier: 'standard',
      seatState: 'seated',
      role: 'user',
    });
    assert.deepEqual((await ctx.c.directory.waiting(orgId)).refused, [], 'the attempt is resolved');
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } });
    assert.equal(await ctx.c.directory.syncNow(orgId, OPERATOR), 0, 'nothing left to do');
  });
});

describe('Turning advanced group mappings on and off', () => {
  test('When mappings are turned on, then directory users in no role-mapped group lose their seat at once; turned off, they get one back', async () => {
    const ctx = await setup('2026-03-01T10:00:00Z');
    const { organisation } = await createExample(ctx, { seats: { standard: 5, premium: 0 } });
    const orgId = organisation.id;
    const server = await listen(ctx);
    try {
      const scim = scimClient(server, await scimToken(ctx, orgId));
      const ann = (await scim.send(oktaCreateUser('ann@acme.example'))).body.id as string;
      const bob = (await scim.send(oktaCreateUser('bob@acme.example'))).body.id as string;
      const staff = (await scim.send(entraCreateGroup('Staff'))).body.id as string;
      expectStatus(await scim.send(entraAddMembers(staff, [ann])), 204);
      await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }); // + the owner's invitation

      const on = await ctx.c.directory.configureGroupMappings(
        orgId,
        { enabled: true, set: [{ groupName: 'staff', role: 'admin', tierId: null }] },
        OPERATOR,
      );
      assert.deepEqual(on, {
        enabled: true,
        mappings: [{ groupName: 'staff', role: 'admin', tierId: null }],
      });
      assert.deepEqual(seatOf((await scim.send(oktaGetUser(ann))).body), {
        tier: 'standard',
        seatState: 'seated',
        role: 'admin',
      });
      assert.equal(seatOf((await scim.send(oktaGetUser(bob))).body).seatState, 'unmapped');
      await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } });

      await ctx.c.directory.configureGroupMappings(orgId, { enabled: false }, OPERATOR);
      assert.equal(seatOf((await scim.send(oktaGetUser(bob))).body).seatState, 'seated');
      await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } });
      const audit = await inspect(ctx.c.store).audit(orgId);
      assert.equal(audit.filter((a) => a.action === 'organisation.group_mappings_changed').length, 2);

      await assert.rejects(
        () =>
          ctx.c.directory.configureGroupMappings(
            orgId,
            { set: [{ groupName: 'x', role: null, tierId: 'gold' }] },
            OPERATOR,
          ),
        /no seat tier "gold"/,
      );
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });
});
