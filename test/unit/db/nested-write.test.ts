// The unit of work's one rule of scope: a write or read asked for while another unit of work is
// running is a programming error (the caller holds a q and must call the step form with it),
// refused at once; the enclosing write, failing with it, keeps nothing.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { NestedTransactionError } from '../../../db/nesting.js';
import { scratchStores } from '../../helpers/scratch-store.js';

const world = scratchStores('seatkeeper-nested-write-');

const refusedAsNested =
  (form: string) =>
  (error: unknown): boolean => {
    assert.ok(
      error instanceof NestedTransactionError,
      `expected a NestedTransactionError, got ${String(error)}`,
    );
    assert.equal(error.form, form);
    assert.match(error.message, /inside another's transaction; call its step form with the caller's q/);
    return true;
  };

describe('A write inside another write', () => {
  test('When a write calls store.write, then it is refused at once and nothing of either is written', async () => {
    const { store, insert, rows } = world();
    let innerRan = false;
    await assert.rejects(
      store.write(async () => {
        insert('outer');
        await store.write(async () => {
          innerRan = true;
          insert('inner');
        });
      }),
      refusedAsNested('write'),
    );
    assert.equal(innerRan, false, 'the nested work never ran');
    assert.deepEqual(rows(), []);
  });

  test('When a write calls store.write for writes that would share a group commit, or store.read, then each is refused as well', async () => {
    const { store, insert, rows } = world();
    await assert.rejects(
      store.write(async () => {
        insert('outer');
        // Writes asked for together would share one group commit; nested, they are refused.
        await Promise.all([
          store.write(async () => insert('batched 1')),
          store.write(async () => insert('batched 2')),
        ]);
      }),
      refusedAsNested('write'),
    );
    await assert.rejects(
      store.write(async () => {
        insert('outer');
        await store.read(async () => undefined);
      }),
      refusedAsNested('read'),
    );
    assert.deepEqual(rows(), []);
  });

  test('When one write of a group commit calls store.write, then only that write fails and nothing of it is kept', async () => {
    const { store, insert, rows } = world();
    const first = store.write(async () => insert('first'));
    const nesting = store.write(async () => {
      insert('nesting');
      await store.write(async () => insert('inner'));
    });
    const last = store.write(async () => insert('last'));
    await first;
    await assert.rejects(nesting, refusedAsNested('write'));
    await last;
    assert.deepEqual(rows(), ['first', 'last']);
  });

  test('When the caller passes its q on instead, then the work runs in the one transaction and commits with it', async () => {
    const { store, insert, rows } = world();
    const step = (q: { savepoint: <T>(work: () => Promise<T>) => Promise<T> }) =>
      q.savepoint(async () => insert('step'));
    await store.write(async (q) => {
      insert('outer');
      await step(q);
    });
    assert.deepEqual(rows(), ['outer', 'step']);
    // Outside any transaction, reads and writes still open one of their own.
    assert.deepEqual(await store.read(async () => rows()), ['outer', 'step']);
  });
});
