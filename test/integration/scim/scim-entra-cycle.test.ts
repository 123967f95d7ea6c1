// A whole Microsoft Entra ID provisioning cycle (scim-clients.md §2.2), request by request as Entra
// sends it, against the real server; after every step the seat pool is read back through the services.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { randomUUID } from 'node:crypto';
import { type TestContext } from '../../helpers/fixtures.js';
import {
  expectEmptyList,
  expectScimError,
  expectSeats,
  expectStatus,
  refValues,
  seatOf,
  type ScimClient,
  close,
  world,
  type World,
} from '../../helpers/scim-world.js';
import {
  ENTERPRISE,
  entraAddManagerOp,
  entraAddMembers,
  entraAddMobilePhoneOp,
  entraCreateGroup,
  entraCreateUser,
  entraDeleteGroup,
  entraDeleteUser,
  entraFindGroup,
  entraFindUser,
  entraGetGroup,
  entraGetUser,
  entraPatchReplaceActiveString,
  entraPatchUser,
  entraRemoveMembers,
  entraRenameGroup,
  entraReplaceManyOp,
  entraReplaceOp,
  entraReplaceWorkEmailOp,
  entraTestConnection,
  getGroupWithMembers,
} from '../../helpers/scim-requests.js';

const memberIds = (group: { members?: unknown }) => refValues(group.members);

describe('An Entra provisioning cycle', () => {
  let ctx: TestContext;
  let entra: ScimClient;
  let orgId: number;
  // Filled in as the cycle goes; each test is one step of the sequence and relies on the ones before.
  const externalId = randomUUID();
  let cara: string;
  let dan: string;
  let eve: string;
  let group: string;

  let w: World;
  beforeAll(async () => {
    // Standard seats only; the primary owner's pending invitation holds one of them.
    w = await world({ standard: 10, premium: 0 });
    ({ ctx, orgId, scim: entra } = w);
  });
  afterAll(() => close(w));

  test('When Entra tests the connection with a filter on a random GUID, then 200 with an empty ListResponse', async () => {
    expectEmptyList(await entra.send(entraTestConnection('userName')));
    expectEmptyList(await entra.send(entraTestConnection('externalId')));
    await expectSeats(ctx, orgId, { standard: { held: 1, seated: 0 } }, 'before any user');
  });

  test('When Entra creates a user with core+enterprise schemas, meta, roles: [] and nulls, then 201 and a seat is claimed', async () => {
    const res = await entra.send(entraCreateUser('cara@acme.example', { externalId }));
    expectStatus(res, 201);
    cara = res.body.id;
    assert.equal(res.headers.get('location'), res.body.meta.location);
    assert.equal(res.body.externalId, externalId);
    assert.equal(res.body.active, true);
    assert.equal(res.body.addresses, undefined, 'null is read as absent');
    assert.equal(res.body.meta.resourceType, 'User');
    assert.equal(res.body[ENTERPRISE].employeeNumber, '1001');
    assert.deepEqual(seatOf(res.body), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } }, 'after create');
  });

  test('When Entra matches by externalId, userName or work email, then each finds the user', async () => {
    for (const [attribute, value] of [
      ['externalId', externalId],
      ['userName', 'cara@acme.example'],
      ['emails[type eq "work"].value', 'cara@acme.example'],
    ] as const) {
      const res = await entra.send(entraFindUser(attribute, value));
      expectStatus(res, 200);
      assert.equal(res.body.totalResults, 1, attribute);
      assert.equal(res.body.Resources[0].id, cara);
    }
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } }, 'after matching');
  });

  test('When Entra PATCHes with capitalised ops: the work email, an absent mobile number, a manager as a string, a family name, then each applies', async () => {
    const manager = await entra.send(entraCreateUser('dan@acme.example'));
    expectStatus(manager, 201);
    dan = manager.body.id;
    const res = await entra.send(
      entraPatchUser(cara, [
        entraReplaceWorkEmailOp('cara.new@acme.example'),
        entraAddMobilePhoneOp('+49 30 1234567'),
        entraAddManagerOp(dan),
        entraReplaceOp('name.familyName', 'Carver'),
      ]),
    );
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const user = (await entra.send(entraGetUser(cara))).body;
    assert.deepEqual(user.emails, [{ primary: true, type: 'work', value: 'cara.new@acme.example' }]);
    assert.deepEqual(user.phoneNumbers, [{ type: 'mobile', value: '+49 30 1234567' }]);
    assert.equal(user[ENTERPRISE].manager.value, dan);
    assert.equal(user.name.familyName, 'Carver');
    assert.deepEqual(seatOf(user), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }, 'after profile PATCH');
  });

  test('When Entra deactivates with "False" (a string, capitalised Replace), then the user is inactive and the seat is released', async () => {
    const res = await entra.send(entraPatchReplaceActiveString(cara, 'False'));
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const user = (await entra.send(entraGetUser(cara))).body;
    assert.equal(user.active, false);
    assert.equal(seatOf(user).seatState, 'deactivated');
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } }, 'after "False"');
  });

  test('When Entra restores with "True", then the user is active and seated again', async () => {
    const res = await entra.send(entraPatchReplaceActiveString(cara, 'True'));
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const user = (await entra.send(entraGetUser(cara))).body;
    assert.equal(user.active, true);
    assert.deepEqual(seatOf(user), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }, 'after "True"');
  });

  test('When Entra (with ?aadOptscim062020) sends one no-path replace with dotted and URN keys, then each attribute is set', async () => {
    const res = await entra.send(
      entraPatchUser(
        cara,
        [
          entraReplaceManyOp({
            displayName: 'Cara Carver',
            'name.givenName': 'Carolina',
            'name.familyName': 'Carver-Lee',
            [`${ENTERPRISE}:employeeNumber`]: '2002',
          }),
        ],
        true,
      ),
    );
    assert.ok(res.status === 200 || res.status === 204, `got ${res.status}: ${JSON.stringify(res.body)}`);
    const user = (await entra.send(entraGetUser(cara))).body;
    assert.equal(user.displayName, 'Cara Carver');
    assert.equal(user.name.givenName, 'Carolina');
    assert.equal(user.name.familyName, 'Carver-Lee');
    assert.equal(user[ENTERPRISE].employeeNumber, '2002');
    assert.equal(user[ENTERPRISE].department, 'Engineering', 'other extension attributes are kept');
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }, 'after no-path replace');
  });

  test('When Entra (with the flag) deactivates with a real boolean and restores, then the seat follows', async () => {
    const off = await entra.send(
      entraPatchUser(cara, [{ op: 'replace', path: 'active', value: false }], true),
    );
    assert.ok(off.status === 200 || off.status === 204);
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } }, 'after boolean false');
    const on = await entra.send(entraPatchUser(cara, [{ op: 'replace', path: 'active', value: true }], true));
    assert.ok(on.status === 200 || on.status === 204);
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }, 'after boolean true');
  });

  test('When Entra creates a group with the ADSCIM schema URN and reads it with excludedAttributes=members, then 201 and no members in the reads', async () => {
    const res = await entra.send(entraCreateGroup('Entra Sales', 'grp-ext-1'));
    expectStatus(res, 201);
    group = res.body.id;
    assert.equal(res.body.displayName, 'Entra Sales');
    assert.equal(res.body.externalId, 'grp-ext-1');
    const read = await entra.send(entraGetGroup(group));
    expectStatus(read, 200);
    assert.equal(read.body.displayName, 'Entra Sales');
    assert.equal('members' in read.body, false);
    const found = await entra.send(entraFindGroup('Entra Sales'));
    expectStatus(found, 200);
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].id, group);
    assert.equal('members' in found.body.Resources[0], false);
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }, 'after group create');
  });

  test('When Entra adds several members in one PATCH with $ref: null, then 204 and all are members', async () => {
    const third = await entra.send(entraCreateUser('eve@acme.example'));
    expectStatus(third, 201);
    eve = third.body.id;
    await expectSeats(ctx, orgId, { standard: { held: 4, seated: 3 } }, 'after eve');
    expectStatus(await entra.send(entraAddMembers(group, [cara, dan, eve])), 204);
    const read = await entra.send(getGroupWithMembers(group));
    assert.deepEqual(memberIds(read.body), [cara, dan, eve].sort());
    await expectSeats(ctx, orgId, { standard: { held: 4, seated: 3 } }, 'after add members');
  });

  test('When Entra adds a member that is already there, then there is no duplicate', async () => {
    expectStatus(await entra.send(entraAddMembers(group, [cara])), 204);
    const read = await entra.send(getGroupWithMembers(group));
    assert.deepEqual(memberIds(read.body), [cara, dan, eve].sort());
    const user = (await entra.send(entraGetUser(cara))).body;
    assert.equal(user.groups.length, 1);
    await expectSeats(ctx, orgId, { standard: { held: 4, seated: 3 } }, 'after re-add');
  });

  test('When Entra removes members with a value list, then exactly those leave', async () => {
    expectStatus(await entra.send(entraRemoveMembers(group, [dan, eve])), 204);
    const read = await entra.send(getGroupWithMembers(group));
    assert.deepEqual(memberIds(read.body), [cara]);
    await expectSeats(ctx, orgId, { standard: { held: 4, seated: 3 } }, 'after remove members');
  });

  test('When Entra renames the group with Replace displayName, then 204 and the new name', async () => {
    expectStatus(await entra.send(entraRenameGroup(group, 'Entra Sales EMEA')), 204);
    assert.equal((await entra.send(entraGetGroup(group))).body.displayName, 'Entra Sales EMEA');
    await expectSeats(ctx, orgId, { standard: { held: 4, seated: 3 } }, 'after rename');
  });

  test('When Entra hard-deletes a user, then 204, the user is gone (404), the seat is free and the group no longer lists them', async () => {
    expectStatus(await entra.send(entraDeleteUser(cara)), 204);
    expectScimError(await entra.send(entraGetUser(cara)), 404);
    expectEmptyList(await entra.send(entraFindUser('externalId', externalId)));
    const read = await entra.send(getGroupWithMembers(group));
    assert.deepEqual(memberIds(read.body), []);
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }, 'after user delete');
  });

  test('When Entra deletes the group, then 204 and 404 after', async () => {
    expectStatus(await entra.send(entraDeleteGroup(group)), 204);
    expectScimError(await entra.send(entraGetGroup(group)), 404);
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } }, 'after group delete');
  });

  test('When the deleted user is provisioned again, then 201 with a seat (the old row keeps its history)', async () => {
    const res = await entra.send(entraCreateUser('cara@acme.example', { externalId }));
    expectStatus(res, 201);
    assert.deepEqual(seatOf(res.body), { tier: 'standard', seatState: 'seated', role: 'user' });
    await expectSeats(ctx, orgId, { standard: { held: 4, seated: 3 } }, 'after re-create');
  });
});

describe('Entra renames onto names that other rows hold', () => {
  let ctx: TestContext;
  let entra: ScimClient;
  let orgId: number;

  let w: World;
  beforeAll(async () => {
    w = await world({ standard: 10, premium: 0 });
    ({ ctx, orgId, scim: entra } = w);
  });
  afterAll(() => close(w));

  test("When a user is renamed to a hard-deleted user's userName, then 409 uniqueness that says a deleted user's history holds it, and nothing changes", async () => {
    const gone = await entra.send(entraCreateUser('gone@acme.example'));
    const stays = await entra.send(entraCreateUser('stays@acme.example'));
    expectStatus(await entra.send(entraDeleteUser(gone.body.id)), 204);
    const res = await entra.send(
      entraPatchUser(stays.body.id, [entraReplaceOp('userName', 'gone@acme.example')]),
    );
    expectScimError(res, 409, /belongs to a user deleted from the directory/);
    assert.equal(res.body.scimType, 'uniqueness');
    assert.equal((await entra.send(entraGetUser(stays.body.id))).body.userName, 'stays@acme.example');
    await expectSeats(ctx, orgId, { standard: { held: 2, seated: 1 } });
  });

  test("When a user's work email is changed to another member's address, then it is accepted: only userName is unique (RFC 7644 §3.3)", async () => {
    const user = await entra.send(entraCreateUser('ivy@acme.example'));
    const res = await entra.send(
      entraPatchUser(user.body.id, [entraReplaceWorkEmailOp('owner@acme.example')]),
    );
    assert.equal(res.status, 200);
    const after = (await entra.send(entraGetUser(user.body.id))).body;
    assert.equal(after.emails[0].value, 'owner@acme.example');
    const sharing = await ctx.c.store.read((q) => q.members.withEmail(orgId, 'owner@acme.example'));
    assert.equal(sharing.length, 2, 'the invited owner and the directory user share the address');
    assert.equal(sharing.filter((m) => m.role === 'primary_owner').length, 1, 'the owner is untouched');
    await expectSeats(ctx, orgId, { standard: { held: 3, seated: 2 } });
  });
});
