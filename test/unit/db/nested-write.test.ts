// The unit of work's one rule of scope: a write, batched write or read called while another
// transaction is open on the connection is a programming error (the caller holds a q and must call
// the step form with it), refused at once; the enclosing write, failing with it, keeps nothing.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { NestedTransactionError } from '../../../db/store.js';
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
  test('When a write calls store.write, then it throws at once and nothing of either is written', () => {
    const { store, insert, rows } = world();
    let innerRan = false;
    assert.throws(
      () =>
        store.write(() => {
          insert('outer');
          store.write(() => {
            innerRan = true;
            insert('inner');
          });
        }),
      refusedAsNested('write'),
    );
    assert.equal(innerRan, false, 'the nested work never ran');
    assert.deepEqual(rows(), []);
  });

  test('When a write calls store.writeBatched or store.read, then each is refused as well', () => {
    const { store, insert, rows } = world();
    assert.throws(
      () =>
        store.write(() => {
          insert('outer');
          void store.writeBatched(() => insert('batched'));
        }),
      refusedAsNested('writeBatched'),
    );
    assert.throws(
      () =>
        store.write(() => {
          insert('outer');
          store.read(() => undefined);
        }),
      refusedAsNested('read'),
    );
    assert.deepEqual(rows(), []);
  });

  test('When a batched write calls store.write, then only that batched write fails and nothing of it is kept', async () => {
    const { store, insert, rows } = world();
    const first = store.writeBatched(() => insert('first'));
    const nesting = store.writeBatched(() => {
      insert('nesting');
      store.write(() => insert('inner'));
    });
    const last = store.writeBatched(() => insert('last'));
    await first;
    await assert.rejects(nesting, refusedAsNested('write'));
    await last;
    assert.deepEqual(rows(), ['first', 'last']);
  });

  test('When the caller passes its q on instead, then the work runs in the one transaction and commits with it', () => {
    const { store, insert, rows } = world();
    const step = (q: { savepoint: <T>(work: () => T) => T }) => q.savepoint(() => insert('step'));
    store.write((q) => {
      insert('outer');
      step(q);
    });
    assert.deepEqual(rows(), ['outer', 'step']);
    // Outside any transaction, reads and writes still open one of their own.
    assert.deepEqual(
      store.read(() => rows()),
      ['outer', 'step'],
    );
  });
});
