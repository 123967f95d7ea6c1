// The directory's read-modify-write of one user (directory.changeUser, what a SCIM PATCH runs), over
// a real database file: concurrent changes of one user all land, a change made under it is re-read
// and the change applied again, If-Match is checked once, and a user that never stops changing
// ends in a ConflictError rather than a loop.
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ConflictError, PreconditionFailedError } from '../../../domain/errors.js';
import { OPERATOR } from '../../../domain/model.js';
import {
  CHANGE_USER_ATTEMPTS,
  type DirectoryUserInput,
  type Member,
} from '../../../provisioning/directory.js';
import { createExample, setup, type TestContext } from '../../helpers/fixtures.js';

const user = (userName: string, displayName: string | null = null): DirectoryUserInput => ({
  userName,
  externalId: null,
  active: true,
  displayName,
  email: null,
  tier: null,
  resource: { userName, ...(displayName === null ? {} : { displayName }) },
});

/** The user as it is, with one more letter appended to its display name. */
const appending = (letter: string) => (current: Member) =>
  Promise.resolve(user(current.userName!, `${current.displayName ?? ''}${letter}`));

describe('directory.changeUser', () => {
  let ctx: TestContext;
  let orgId: number;
  let ada: Member;

  beforeEach(async () => {
    ctx = await setup('2026-02-01T10:00:00Z');
    orgId = (await createExample(ctx, { seats: { standard: 10, premium: 0 } })).organisation.id;
    ada = await ctx.c.directory.createUser(orgId, user('ada@acme.example', ''), OPERATOR);
  });
  afterEach(() => ctx.cleanup());

  test('When twenty changes of one user arrive together, then every one is applied, each to the result of the one before', async () => {
    const letters = 'abcdefghijklmnopqrst'.split('');
    const results = await Promise.all(
      letters.map((l) => ctx.c.directory.changeUser(orgId, ada.publicId, appending(l), OPERATOR)),
    );
    const final = await ctx.c.directory.getUser(orgId, ada.publicId);
    assert.equal(final.displayName, letters.join(''));
    assert.equal(final.version, ada.version + letters.length);
    assert.deepEqual(
      results.map((m) => m.version),
      letters.map((_, i) => ada.version + i + 1),
    );
  });

  test('When the user changes between the read and the write, then the change is applied again to the newer user', async () => {
    let applications = 0;
    const member = await ctx.c.directory.changeUser(
      orgId,
      ada.publicId,
      async (current) => {
        applications += 1;
        // Someone else's change lands after this read, once.
        if (applications === 1) {
          await ctx.c.directory.replaceUser(orgId, ada.publicId, user('ada@acme.example', 'x'), OPERATOR);
        }
        return user(current.userName!, `${current.displayName ?? ''}y`);
      },
      OPERATOR,
    );
    assert.equal(applications, 2);
    assert.equal(member.displayName, 'xy');
  });

  test('When If-Match names another version, then it is refused at once and nothing is applied', async () => {
    let applications = 0;
    await assert.rejects(
      ctx.c.directory.changeUser(
        orgId,
        ada.publicId,
        (current) => {
          applications += 1;
          return appending('z')(current);
        },
        OPERATOR,
        ada.version + 5,
      ),
      PreconditionFailedError,
    );
    assert.equal(applications, 1);
    assert.equal((await ctx.c.directory.getUser(orgId, ada.publicId)).displayName, '');
  });

  test('When the user changes under every attempt, then it ends in a ConflictError after the bounded attempts', async () => {
    let applications = 0;
    await assert.rejects(
      ctx.c.directory.changeUser(
        orgId,
        ada.publicId,
        async (current) => {
          applications += 1;
          await ctx.c.directory.replaceUser(
            orgId,
            ada.publicId,
            user('ada@acme.example', `n${applications}`),
            OPERATOR,
          );
          return user(current.userName!, 'never');
        },
        OPERATOR,
      ),
      (e: unknown) => e instanceof ConflictError && e.code === 'concurrent_change',
    );
    assert.equal(applications, CHANGE_USER_ATTEMPTS);
    assert.notEqual((await ctx.c.directory.getUser(orgId, ada.publicId)).displayName, 'never');
  });
});
