// User PATCHes off the event loop (scim/patch-pool.ts): the threads give the same result and the
// same SCIM errors as applying the PATCH in place; one organisation's backlog does not hold
// another's PATCH for more than one turn; and the slices (scim/normalise.ts) name the operation
// that passed a limit, and read an Entra typed path against what the operations before it did.
import { afterAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { ScimError } from '../../../scim/errors.js';
import { MAX_USER_PATCH_OPERATIONS, MAX_VALUES } from '../../../scim/limits.js';
import { applyUserPatch, normalisePatch, PATCH_SLICE_OPERATIONS } from '../../../scim/normalise.js';
import { createPatchPool } from '../../../scim/patch-pool.js';
import { declareScim, USER_SCHEMA } from '../../../scim/schemas.js';

type Json = Record<string, unknown>;

declareScim();

const user = (emails: number, display = 'd'): Json => ({
  schemas: [USER_SCHEMA],
  id: 'u1',
  userName: 'anna@acme.example',
  displayName: 'Anna',
  emails: Array.from({ length: emails }, (_, j) => ({
    value: `anna.${j}@acme.example`,
    type: 'work',
    primary: j === 0,
    display: display.padEnd(500, '.'),
  })),
  meta: { resourceType: 'User', version: 'W/"1"' },
});

/** A PATCH at the operation limit, each operation a value filter over every email. */
const heavyPatch = (seed: string) =>
  normalisePatch(
    {
      Operations: Array.from({ length: MAX_USER_PATCH_OPERATIONS }, (_, i) => ({
        op: 'replace',
        path: `emails[value eq "anna.${(i % (MAX_VALUES - 1)) + 1}@acme.example"].display`,
        value: `${seed}.${i}`.padEnd(500, '.'),
      })),
    },
    'User',
  );

describe('User PATCH threads', () => {
  const pool = createPatchPool(1);
  afterAll(() => pool.close());

  test('When a PATCH is applied on a thread, then the result is the one applied in place, and its SCIM errors are the same', async () => {
    const current = user(MAX_VALUES);
    const operations = heavyPatch('x');
    assert.deepEqual(await pool.apply(1, current, operations), await applyUserPatch(current, operations));

    const bad = normalisePatch(
      { Operations: [{ op: 'replace', path: 'noSuchAttribute', value: 'x' }] },
      'User',
    );
    const inPlace = await applyUserPatch(current, bad).then(
      () => assert.fail('applied'),
      (e: unknown) => e,
    );
    const threaded = await pool.apply(1, current, bad).then(
      () => assert.fail('applied'),
      (e: unknown) => e,
    );
    assert.ok(threaded instanceof ScimError);
    assert.ok(inPlace instanceof ScimError);
    assert.deepEqual(
      [threaded.status, threaded.scimType, threaded.detail],
      [inPlace.status, inPlace.scimType, inPlace.detail],
    );
  });

  test("When one organisation has a backlog of PATCHes, then another organisation's PATCH is the next one run after the one running", async () => {
    const done: string[] = [];
    const run = (organisationId: number, name: string) =>
      pool.apply(organisationId, user(MAX_VALUES), heavyPatch(name)).then(() => done.push(name));
    // One thread: A1 runs; A2 and A3 wait, then B1 arrives.
    const all = [run(10, 'A1'), run(10, 'A2'), run(10, 'A3'), run(20, 'B1')];
    assert.equal(pool.pending(10), 3);
    assert.equal(pool.pending(20), 1);
    await Promise.all(all);
    assert.deepEqual(done, ['A1', 'B1', 'A2', 'A3']);
    assert.equal(pool.pending(10), 0);
  });
});

describe('PATCH slices', () => {
  test('When an operation inside a slice passes the values limit, then the error names that operation, not the end of its slice', async () => {
    assert.ok(PATCH_SLICE_OPERATIONS >= 14);
    const operations = normalisePatch(
      {
        Operations: Array.from({ length: PATCH_SLICE_OPERATIONS - 1 }, (_, i) =>
          i === 12
            ? { op: 'add', path: 'emails', value: [{ value: 'one-more@acme.example' }] }
            : { op: 'replace', path: 'title', value: `T${i + 1}` },
        ),
      },
      'User',
    );
    await assert.rejects(applyUserPatch(user(MAX_VALUES), operations), (e: unknown) => {
      assert.ok(e instanceof ScimError);
      assert.equal(e.scimType, 'invalidValue');
      assert.match(e.detail, new RegExp(`emails would have ${MAX_VALUES + 1} values after operation 13;`));
      return true;
    });
  });

  test('When Entra sets two sub-attributes of a typed entry the user lacks, then the first creates the entry and the second fills it', async () => {
    const operations = normalisePatch(
      {
        Operations: [
          { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
          { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Berlin' },
        ],
      },
      'User',
    );
    const patched = await applyUserPatch(user(1), operations);
    assert.deepEqual(patched.addresses, [{ type: 'work', streetAddress: '1 Main St', locality: 'Berlin' }]);
  });

  test('When a PATCH fails after several slices, then its error names the operation by its place in the whole PATCH', async () => {
    const operations = normalisePatch(
      {
        Operations: [
          ...Array.from({ length: 2 * PATCH_SLICE_OPERATIONS + 3 }, (_, i) => ({
            op: 'replace',
            path: 'title',
            value: `T${i}`,
          })),
          { op: 'replace', path: 'noSuchAttribute', value: 'x' },
        ],
      },
      'User',
    );
    await assert.rejects(
      applyUserPatch(user(1), operations),
      new RegExp(`operation ${2 * PATCH_SLICE_OPERATIONS + 4}\\b`),
    );
  });
});
