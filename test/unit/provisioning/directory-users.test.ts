// Directory users (provisioning/directory/users.ts) over a real database file: the one userName
// rule (RFC 7644 §3.3) for creates and renames, linking members the directory did not push,
// restoring deleted users, and versions (If-Match).
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../../../domain/errors.js';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import type { DirectoryUserInput } from '../../../provisioning/directory.js';
import { createExample, heldMatchesMembers, setup, type TestContext } from '../../helpers/fixtures.js';
import { inspect } from '../../helpers/inspect.js';

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

/** A ConflictError with scimType-mapped code `uniqueness` whose message matches `words`. */
const uniqueness = (words: RegExp) => (e: unknown) =>
  e instanceof ConflictError && e.code === 'uniqueness' && words.test(e.message);

describe('Directory users', () => {
  let ctx: TestContext;
  let orgId: number;

  beforeEach(async () => {
    ctx = await setup('2026-02-01T10:00:00Z');
    orgId = (await createExample(ctx, { seats: { standard: 10, premium: 0 } })).organisation.id;
  });
  afterEach(() => ctx.cleanup());

  const directory = () => ctx.c.directory;
  const memberById = (id: number) => inspect(ctx.c.store).member(orgId, id);
  const actions = () => inspect(ctx.c.store).auditActions(orgId);

  test('When a userName is created twice, in any case, then the second create is refused with uniqueness', async () => {
    await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    await assert.rejects(
      () => directory().createUser(orgId, user('ADA@acme.example'), OPERATOR),
      uniqueness(/already exists/),
    );
  });

  test('When a user is renamed onto the userName of another live user, then it is refused with uniqueness', async () => {
    await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    const bob = await directory().createUser(orgId, user('bob@acme.example'), OPERATOR);
    await assert.rejects(
      () => directory().replaceUser(orgId, bob.publicId, user('ada@acme.example'), OPERATOR),
      uniqueness(/already exists/),
    );
    assert.equal((await directory().getUser(orgId, bob.publicId)).userName, 'bob@acme.example');
  });

  test('When a deleted userName is created again, then the same member is restored; a rename onto it is refused', async () => {
    const ada = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    await directory().deleteUser(orgId, ada.publicId, OPERATOR);
    assert.equal((await memberById(ada.id))?.seatState, 'removed');
    await assert.rejects(
      () => directory().getUser(orgId, ada.publicId),
      NotFoundError,
      'a deleted user is gone from SCIM',
    );
    const bob = await directory().createUser(orgId, user('bob@acme.example'), OPERATOR);
    await assert.rejects(
      () => directory().replaceUser(orgId, bob.publicId, user('ada@acme.example'), OPERATOR),
      uniqueness(/deleted from the directory/),
    );
    const again = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    assert.deepEqual([again.id, again.seatState], [ada.id, 'seated']);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });

  test('When a member invited before the directory knew them is created by their address, then that member is linked, keeping id and seat', async () => {
    const invited = (
      await ctx.c.members.invite(orgId, { email: 'cy@acme.example', role: 'user' }, HIGHEST, OPERATOR)
    ).member;
    const bob = await directory().createUser(orgId, user('bob@acme.example'), OPERATOR);
    await assert.rejects(
      () => directory().replaceUser(orgId, bob.publicId, user('cy@acme.example'), OPERATOR),
      uniqueness(/signed in or was invited before the directory managed them/),
      'a rename onto the address SCIM shows for that member',
    );
    const linked = await directory().createUser(orgId, user('cy', { email: 'cy@acme.example' }), OPERATOR);
    assert.deepEqual([linked.id, linked.userName, linked.seatState], [invited.id, 'cy', 'invited']);
    assert.ok((await actions()).includes('member.linked'));
  });

  test('When a user is created without any email address, then it is refused before anything is stored', async () => {
    const before = (await inspect(ctx.c.store).members(orgId)).length;
    await assert.rejects(() => directory().createUser(orgId, user('ada'), OPERATOR), ValidationError);
    assert.equal((await inspect(ctx.c.store).members(orgId)).length, before);
  });

  test('When a replace or delete names a version the user has moved past, then it is refused and nothing changes', async () => {
    const ada = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    const renamed = await directory().replaceUser(
      orgId,
      ada.publicId,
      user('ada@acme.example', { displayName: 'Ada' }),
      OPERATOR,
      ada.version,
    );
    assert.ok(renamed.version > ada.version);
    await assert.rejects(
      () =>
        directory().replaceUser(
          orgId,
          ada.publicId,
          user('ada@acme.example', { displayName: 'Old' }),
          OPERATOR,
          ada.version,
        ),
      PreconditionFailedError,
    );
    await assert.rejects(
      () => directory().deleteUser(orgId, ada.publicId, OPERATOR, ada.version),
      PreconditionFailedError,
    );
    assert.deepEqual(
      [
        (await directory().getUser(orgId, ada.publicId)).displayName,
        (await directory().getUser(orgId, ada.publicId)).seatState,
      ],
      ['Ada', 'seated'],
    );
  });

  test('When a user is deleted, then the seat goes back and the memberships end', async () => {
    const ada = await directory().createUser(orgId, user('ada@acme.example'), OPERATOR);
    await directory().createGroup(
      orgId,
      { displayName: 'Staff', externalId: null, members: [ada.publicId] },
      OPERATOR,
    );
    await directory().deleteUser(orgId, ada.publicId, OPERATOR);
    const removed = (await memberById(ada.id))!;
    assert.deepEqual([removed.seatState, removed.tierId], ['removed', null]);
    assert.deepEqual(await directory().groupsOf(ada.id), []);
    assert.ok(await heldMatchesMembers(ctx, orgId));
  });
});
