// A whole Okta provisioning cycle (scim-clients.md §2.1), request by request as Okta sends it,
// against the real server; after every step the seat pool is read back through the services.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { type RunningServer, type TestContext } from '../../helpers/fixtures.js';
import {
  expectEmptyList,
  expectScimError,
  expectSeats,
  expectStatus,
  refValues,
  resourcesOf,
  seatOf,
  type ScimClient,
  close,
  world,
  type World,
} from '../../helpers/scim-world.js';
import {
  oktaAddMember,
  oktaAddMemberOp,
  oktaCreateUser,
  oktaDeactivate,
  oktaDeleteGroup,
  oktaFindGroup,
  oktaFindUser,
  oktaGetGroup,
  oktaGetUser,
  oktaListUsers,
  oktaPatchGroup,
  oktaPushGroup,
  oktaReactivate,
  oktaRemoveMember,
  oktaRemoveMemberOp,
  oktaRenameGroup,
  oktaRenameGroupOp,
  oktaReplaceUser,
} from '../../helpers/scim-requests.js';

describe('An Okta provisioning cycle', () => {
  let ctx: TestContext;
  let server: RunningServer;
  let okta: ScimClient;
  let orgId: number;
  // Filled in as the cycle goes; each test is one step of the sequence and relies on the ones before.
  let ann: string;
  let bob: string;
  let group: string;

  let w: World;
  beforeAll(async () => {
    // One premium seat and ten standard; the primary owner's pending invitation holds a standard one.
    w = await world({ standard: 10, premium: 1 });
    ({ ctx, server, orgId, scim: okta } = w);
  });
  afterAll(() => close(w));

  test('When Okta tests the connection and looks a user up before creating them, then both are 200 and the lookup is an empty list', async () => {
    const page = await okta.send(oktaListUsers(1, 2));
    expectStatus(page, 200);
    assert.equal(page.body.totalResults, 0);
    assert.equal(page.body.startIndex, 1);
    assert.equal(page.body.itemsPerPage, 0);
    expectEmptyList(await okta.send(oktaFindUser('ann@acme.example')));
    await expectSeats(ctx, orgId, { standard: { held: 1, seated: 0 } }, 'before any user');
  });

  test('When Okta creates the user with its placeholder password and groups: [], then 201 with the full user, a Location equal to meta.location, and the highest tier claimed', async () => {
    const res = await okta.send(
      oktaCreateUser('ann@acme.example', { givenName: 'Ann', familyName: 'Archer' }),
    );
    expectStatus(res, 201);
    ann = res.body.id;
    assert.equal(typeof ann, 'string');
    assert.equal(res.headers.get('location'), res.body.meta.location);
    assert.equal(res.body.meta.location, `${server.url}/scim/v2/Users/${ann}`);
    assert.equal(res.body.userName, 'ann@acme.example');
    assert.equal(res.body.active, true);
    assert.deepEqual(res.body.name, { givenName: 'Ann', familyName: 'Archer' });
    assert.equal(res.body.password, undefined, 'the password is never returned');
    assert.deepEqual(seatOf(res.body), { tier: 'premium', seatState: 'seated', role: 'user' });
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } },
      'after create',
    );
  });

  test('When Okta creates the same userName again (any case), then 409 uniqueness and no seat moves', async () => {
    const res = await okta.send(oktaCreateUser('ANN@acme.example'));
    expectScimError(res, 409);
    assert.equal(res.body.scimType, 'uniqueness');
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } },
      'after 409',
    );
  });

  test('When Okta looks the user up again (in any case), then the filter finds exactly that user', async () => {
    for (const userName of ['ann@acme.example', 'ANN@Acme.Example']) {
      const res = await okta.send(oktaFindUser(userName));
      expectStatus(res, 200);
      assert.equal(res.body.totalResults, 1, userName);
      assert.equal(res.body.Resources[0].id, ann);
    }
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } },
      'after lookup',
    );
  });

  test('When Okta PUTs the merged profile back with id, meta, groups: [] and a password, then 200 with the change and the seat untouched', async () => {
    const current = await okta.send(oktaGetUser(ann));
    expectStatus(current, 200);
    const res = await okta.send(
      oktaReplaceUser(current.body, {
        name: { givenName: 'Ann', familyName: 'Archer-Smith' },
        displayName: 'Ann Archer-Smith',
      }),
    );
    expectStatus(res, 200);
    assert.equal(res.body.id, ann);
    assert.deepEqual(res.body.name, { givenName: 'Ann', familyName: 'Archer-Smith' });
    assert.equal(res.body.displayName, 'Ann Archer-Smith');
    assert.equal(res.body.password, undefined);
    assert.deepEqual(seatOf(res.body), { tier: 'premium', seatState: 'seated', role: 'user' });
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } },
      'after PUT',
    );
  });

  test('When Okta deactivates with a no-path PATCH and no schemas, then the user is inactive and the seat is released at once', async () => {
    const res = await okta.send(oktaDeactivate(ann));
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const user = await okta.send(oktaGetUser(ann));
    expectStatus(user, 200);
    assert.equal(user.body.active, false);
    assert.equal(seatOf(user.body).seatState, 'deactivated');
    await expectSeats(ctx, orgId, { standard: { held: 1, seated: 0 } }, 'after deactivate');
  });

  test('When Okta reactivates the user, then they are seated again in the highest available tier', async () => {
    const res = await okta.send(oktaReactivate(ann));
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const user = await okta.send(oktaGetUser(ann));
    assert.equal(user.body.active, true);
    assert.deepEqual(seatOf(user.body), { tier: 'premium', seatState: 'seated', role: 'user' });
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 1, seated: 0 }, premium: { held: 1, seated: 1 } },
      'after reactivate',
    );
  });

  test('When a second user is assigned, then premium being full, they are seated in standard', async () => {
    expectEmptyList(await okta.send(oktaFindUser('bob@acme.example')));
    const res = await okta.send(oktaCreateUser('bob@acme.example'));
    expectStatus(res, 201);
    bob = res.body.id;
    assert.deepEqual(seatOf(res.body), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after bob',
    );
  });

  test('When Okta pushes a group without schemas and looks it up, then 201 with a Location and the filter finds it', async () => {
    const res = await okta.send(oktaPushGroup('Okta Engineers'));
    expectStatus(res, 201);
    group = res.body.id;
    assert.equal(res.headers.get('location'), res.body.meta.location);
    assert.equal(res.body.displayName, 'Okta Engineers');
    assert.deepEqual(res.body.members ?? [], []);
    const found = await okta.send(oktaFindGroup('Okta Engineers'));
    expectStatus(found, 200);
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].id, group);
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after push',
    );
  });

  test('When Okta renames the group with the read-only id in the value, then it is renamed and the id is ignored', async () => {
    const res = await okta.send(oktaRenameGroup(group, 'Okta Engineering'));
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const read = await okta.send(oktaGetGroup(group));
    expectStatus(read, 200);
    assert.equal(read.body.id, group);
    assert.equal(read.body.displayName, 'Okta Engineering');
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after rename',
    );
  });

  test('When Okta adds members, then the group lists them and each user lists the group', async () => {
    expectStatus(await okta.send(oktaAddMember(group, ann)), 204);
    expectStatus(await okta.send(oktaAddMember(group, bob)), 204);
    const read = await okta.send(oktaGetGroup(group));
    assert.deepEqual(refValues(read.body.members), [ann, bob].sort());
    const user = await okta.send(oktaGetUser(ann));
    assert.deepEqual(
      (user.body.groups as { value: string; display: string }[]).map((g) => [g.value, g.display]),
      [[group, 'Okta Engineering']],
    );
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after add',
    );
  });

  test('When Okta removes a member with members[value eq "…"], then only that member leaves', async () => {
    expectStatus(await okta.send(oktaRemoveMember(group, bob)), 204);
    const read = await okta.send(oktaGetGroup(group));
    assert.deepEqual(refValues(read.body.members), [ann]);
    assert.deepEqual((await okta.send(oktaGetUser(bob))).body.groups, []);
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after remove',
    );
  });

  test('When Okta sends a rename together with a remove and an add in one PATCH, then all three apply in order', async () => {
    const res = await okta.send(
      oktaPatchGroup(
        group,
        oktaRenameGroupOp(group, 'Okta Platform'),
        oktaRemoveMemberOp(ann),
        oktaAddMemberOp(bob),
      ),
    );
    expectStatus(res, 204);
    const read = await okta.send(oktaGetGroup(group));
    assert.equal(read.body.displayName, 'Okta Platform');
    assert.deepEqual(refValues(read.body.members), [bob]);
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after combined',
    );
  });

  test('When Okta replaces the whole membership, then the group holds exactly the new list', async () => {
    expectStatus(
      await okta.send(oktaPatchGroup(group, { op: 'replace', path: 'members', value: [{ value: ann }] })),
      204,
    );
    const read = await okta.send(oktaGetGroup(group));
    assert.deepEqual(refValues(read.body.members), [ann]);
    assert.deepEqual((await okta.send(oktaGetUser(bob))).body.groups, []);
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after replace',
    );
  });

  test('When Okta deletes the pushed group, then 204, the group is gone, its members are not touched', async () => {
    expectStatus(await okta.send(oktaDeleteGroup(group)), 204);
    expectScimError(await okta.send(oktaGetGroup(group)), 404);
    const user = await okta.send(oktaGetUser(ann));
    assert.deepEqual(user.body.groups, []);
    assert.equal(user.body.active, true);
    await expectSeats(
      ctx,
      orgId,
      { standard: { held: 2, seated: 1 }, premium: { held: 1, seated: 1 } },
      'after delete',
    );
  });

  test('When Okta unassigns both users (it never deletes), then every seat they held is free again', async () => {
    for (const id of [ann, bob]) {
      const res = await okta.send(oktaDeactivate(id));
      assert.ok(res.status === 200 || res.status === 204);
    }
    await expectSeats(ctx, orgId, { standard: { held: 1, seated: 0 } }, 'after unassign');
    // Deactivated users stay visible to Okta's import, as inactive.
    const page = await okta.send(oktaListUsers());
    assert.equal(page.body.totalResults, 2);
    assert.ok(resourcesOf(page).every((u) => u.active === false));
  });
});
