// Directory groups (provisioning/directory/groups.ts) over a real database file: unique display
// names, PATCH steps applied in order, and the re-settling of members when mappings are on.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ConflictError, PreconditionFailedError, ValidationError } from '../../../domain/errors.js';
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

describe('Directory groups', () => {
  let ctx: TestContext;
  let orgId: number;
  let people: Member[];

  beforeEach(async () => {
    ctx = await setup('2026-02-01T10:00:00Z');
    orgId = (await createExample(ctx, { seats: { standard: 10, premium: 0 } })).organisation.id;
    people = [];
    for (const n of ['ada', 'bob', 'cy']) {
      people.push(await ctx.c.directory.createUser(orgId, user(`${n}@acme.example`), OPERATOR));
    }
  });
  afterEach(() => ctx.cleanup());

  const directory = () => ctx.c.directory;
  const ids = (...ps: Member[]) => ps.map((p) => p.publicId);
  const memberNames = async (publicId: string) =>
    (await directory().groupMembers(await directory().getGroup(orgId, publicId)))
      .map((m) => m.display)
      .sort();

  test('When a group is created with a display name another group has, in any case, then it is refused with uniqueness', async () => {
    await directory().createGroup(orgId, { displayName: 'Staff', externalId: null, members: [] }, OPERATOR);
    await assert.rejects(
      () => directory().createGroup(orgId, { displayName: 'STAFF', externalId: null, members: [] }, OPERATOR),
      (e: unknown) => e instanceof ConflictError && e.code === 'uniqueness',
    );
  });

  test('When a group names a member that is not a known user, then the whole create is refused', async () => {
    await assert.rejects(
      () =>
        directory().createGroup(
          orgId,
          { displayName: 'Staff', externalId: null, members: [people[0]!.publicId, 'nobody'] },
          OPERATOR,
        ),
      ValidationError,
    );
    assert.equal(await ctx.c.store.read((q) => q.groups.byName(orgId, 'Staff')), undefined);
  });

  test('When a PATCH adds, removes and replaces members in order, then the group ends as the last step says', async () => {
    const [ada, bob, cy] = people as [Member, Member, Member];
    const group = await directory().createGroup(
      orgId,
      { displayName: 'Staff', externalId: null, members: ids(ada) },
      OPERATOR,
    );
    const changed = await directory().changeGroup(
      orgId,
      group.publicId,
      [
        { kind: 'add', members: ids(bob, cy) },
        { kind: 'remove', members: ids(ada) },
        { kind: 'rename', displayName: 'Everyone' },
        { kind: 'externalId', externalId: 'ext-1' },
      ],
      OPERATOR,
    );
    assert.deepEqual([changed.displayName, changed.externalId], ['Everyone', 'ext-1']);
    assert.deepEqual(await memberNames(group.publicId), ['bob@acme.example', 'cy@acme.example']);
    await directory().changeGroup(orgId, group.publicId, [{ kind: 'replace', members: ids(ada) }], OPERATOR);
    assert.deepEqual(await memberNames(group.publicId), ['ada@acme.example']);
    await directory().changeGroup(orgId, group.publicId, [{ kind: 'removeAll' }], OPERATOR);
    assert.deepEqual(await memberNames(group.publicId), []);
  });

  test('When a change or delete names a version the group has moved past, then it is refused', async () => {
    const group = await directory().createGroup(
      orgId,
      { displayName: 'Staff', externalId: null, members: [] },
      OPERATOR,
    );
    await directory().changeGroup(
      orgId,
      group.publicId,
      [{ kind: 'rename', displayName: 'Team' }],
      OPERATOR,
      group.version,
    );
    await assert.rejects(
      () =>
        directory().changeGroup(
          orgId,
          group.publicId,
          [{ kind: 'rename', displayName: 'X' }],
          OPERATOR,
          group.version,
        ),
      PreconditionFailedError,
    );
    await assert.rejects(
      () => directory().deleteGroup(orgId, group.publicId, OPERATOR, group.version),
      PreconditionFailedError,
    );
    assert.equal((await directory().getGroup(orgId, group.publicId)).displayName, 'Team');
  });

  test('When mappings are on and a role-mapped group is renamed or deleted, then its members lose the seat it gave', async () => {
    const [ada, bob] = people as [Member, Member];
    await directory().configureGroupMappings(
      orgId,
      { enabled: true, set: [{ groupName: 'Staff', role: 'admin', tierId: null }] },
      OPERATOR,
    );
    const group = await directory().createGroup(
      orgId,
      { displayName: 'Staff', externalId: null, members: ids(ada, bob) },
      OPERATOR,
    );
    const seated = await directory().getUser(orgId, ada.publicId);
    assert.deepEqual([seated.seatState, seated.role], ['seated', 'admin']);
    await directory().changeGroup(
      orgId,
      group.publicId,
      [{ kind: 'rename', displayName: 'Former staff' }],
      OPERATOR,
    );
    assert.equal(
      (await directory().getUser(orgId, bob.publicId)).seatState,
      'unmapped',
      'the rename moved the group out of the mapping',
    );
    await directory().changeGroup(
      orgId,
      group.publicId,
      [{ kind: 'rename', displayName: 'Staff' }],
      OPERATOR,
    );
    assert.equal((await directory().getUser(orgId, bob.publicId)).seatState, 'seated');
    await directory().deleteGroup(orgId, group.publicId, OPERATOR);
    assert.deepEqual(
      [
        (await directory().getUser(orgId, ada.publicId)).seatState,
        (await directory().getUser(orgId, bob.publicId)).seatState,
      ],
      ['unmapped', 'unmapped'],
    );
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });
});
