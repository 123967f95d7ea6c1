// q.savepoint over a real SQLite file: the explicit way a write keeps its earlier work when a later
// part of it fails (a refused seat claim still records the refusal).
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { scratchStores } from '../../helpers/scratch-store.js';

const world = scratchStores('seatkeeper-savepoint-');

describe('A savepoint inside a write', () => {
  test('When the work in a savepoint throws and the write catches it, then only the savepoint is undone and the rest commits', async () => {
    const { store, insert, rows } = world();
    await store.write(async (q) => {
      insert('before');
      try {
        await q.savepoint(async () => {
          insert('inside');
          throw new Error('refused');
        });
      } catch {
        insert('refusal recorded');
      }
    });
    assert.deepEqual(rows(), ['before', 'refusal recorded']);
  });

  test('When the work in a savepoint succeeds and the write later throws, then nothing of either is stored', async () => {
    const { store, insert, rows } = world();
    await assert.rejects(
      store.write(async (q) => {
        await q.savepoint(async () => insert('inside'));
        throw new Error('later failure');
      }),
    );
    assert.deepEqual(rows(), []);
  });

  test('When a savepoint is asked for outside a write, then it is refused rather than committing on its own', async () => {
    const { store, insert, rows } = world();
    await assert.rejects(
      store.read((q) => q.savepoint(async () => insert('alone'))),
      /outside a write/,
    );
    assert.deepEqual(rows(), []);
  });
});
