// Stores over new database files with one scratch table, for tests of the unit of work itself
// (savepoints, nested writes, command forms): the table stands for any write, and its rows show
// what was committed.
import { afterAll } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../db/sqlite/connection.js';
import { migrate } from '../../db/sqlite/migrate.js';
import type { Store } from '../../db/port.js';
import { createStore } from '../../db/sqlite/store.js';
import { tempDir } from './fixtures.js';

export interface ScratchStore {
  readonly store: Store;
  /** Inserts into notes(value UNIQUE) on the store's connection, inside whatever is open. */
  readonly insert: (value: string) => void;
  /** The notes, oldest first, as the store's connection sees them. */
  readonly rows: () => string[];
}

/**
 * A maker of scratch stores, each on its own file under one temporary directory; the files are
 * closed and the directory deleted after the test file's last test.
 */
export function scratchStores(prefix: string): () => ScratchStore {
  const dir = tempDir(prefix);
  const open: Db[] = [];
  afterAll(() => {
    for (const db of open) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const db = openDatabase(join(dir, `scratch-${open.length}.db`), { busyTimeoutMs: 5000 });
    open.push(db);
    migrate(db);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)');
    const insert = db.prepare('INSERT INTO notes (value) VALUES (?)');
    return {
      store: createStore(db),
      insert: (value) => void insert.run(value),
      rows: () => db.prepare('SELECT value FROM notes ORDER BY id').pluck().all() as string[],
    };
  };
}
