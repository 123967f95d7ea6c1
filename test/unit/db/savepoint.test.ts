// q.savepoint over a real SQLite file: the explicit way a write keeps its earlier work when a later
// part of it fails (a refused seat claim still records the refusal).
import { afterAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../db/connection.js';
import { migrate } from '../../../db/migrate.js';
import type { Store } from '../../../db/port.js';
import { createStore } from '../../../db/store.js';
import { tempDir } from '../../helpers/fixtures.js';

const dir = tempDir('seatkeeper-savepoint-');
const open: Db[] = [];
afterAll(() => {
  for (const db of open) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function world(): { store: Store; insert: (value: string) => void; rows: () => string[] } {
  const db = openDatabase(join(dir, `savepoint-${open.length}.db`), { busyTimeoutMs: 5000 });
  open.push(db);
  migrate(db);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)');
  const insert = db.prepare('INSERT INTO notes (value) VALUES (?)');
  return {
    store: createStore(db),
    insert: (value) => void insert.run(value),
    rows: () => db.prepare('SELECT value FROM notes ORDER BY id').pluck().all() as string[],
  };
}

describe('A savepoint inside a write', () => {
  test('When the work in a savepoint throws and the write catches it, then only the savepoint is undone and the rest commits', () => {
    const { store, insert, rows } = world();
    store.write((q) => {
      insert('before');
      try {
        q.savepoint(() => {
          insert('inside');
          throw new Error('refused');
        });
      } catch {
        insert('refusal recorded');
      }
    });
    assert.deepEqual(rows(), ['before', 'refusal recorded']);
  });

  test('When the work in a savepoint succeeds and the write later throws, then nothing of either is stored', () => {
    const { store, insert, rows } = world();
    assert.throws(() =>
      store.write((q) => {
        q.savepoint(() => insert('inside'));
        throw new Error('later failure');
      }),
    );
    assert.deepEqual(rows(), []);
  });

  test('When a savepoint is asked for outside a write, then it is refused rather than committing on its own', () => {
    const { store, insert, rows } = world();
    assert.throws(() => store.queries.savepoint(() => insert('alone')), /outside a write/);
    assert.deepEqual(rows(), []);
  });
});
