// Group commit (store.write) over a real SQLite file: writes queued in one turn share
// one transaction, each in its own savepoint; nobody hears of a result before the shared COMMIT;
// a failure stays with its own write, a failed COMMIT fails them all; a busy lock is retried; the
// batch size is capped. A second connection to the same file sees only what is committed.
import { afterAll, beforeEach, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../db/sqlite/connection.js';
import { migrate } from '../../../db/sqlite/migrate.js';
import type { Store } from '../../../db/port.js';
import { NestedTransactionError } from '../../../db/nesting.js';
import { createStore, type StoreOptions } from '../../../db/sqlite/store.js';
import { tempDir } from '../../helpers/fixtures.js';

const dir = tempDir('seatkeeper-store-');
const open: Db[] = [];
afterAll(() => {
  for (const db of open) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;

interface World {
  readonly db: Db;
  readonly store: Store;
  /** Another connection to the same file: it sees committed rows only. */
  readonly other: Db;
  /** Rows in the scratch table, as this store's connection sees them. */
  readonly ownRows: () => string[];
  /** Rows in the scratch table, as committed (seen from the other connection). */
  readonly committedRows: () => string[];
  readonly insert: (value: string) => void;
}

function world(options: StoreOptions = {}, busyTimeoutMs = 5000): World {
  const path = join(dir, `store-${++files}.db`);
  const db = openDatabase(path, { busyTimeoutMs });
  migrate(db);
  db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
           CREATE TABLE parents (id INTEGER PRIMARY KEY);
           CREATE TABLE children (parent_id INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);`);
  const store = createStore(db, options);
  const other = openDatabase(path, { busyTimeoutMs });
  open.push(db, other);
  const rows = (on: Db) => () =>
    (on.prepare('SELECT value FROM notes ORDER BY id').pluck().all() as string[]).slice();
  const insert = db.prepare('INSERT INTO notes (value) VALUES (?)');
  return {
    db,
    store,
    other,
    ownRows: rows(db),
    committedRows: rows(other),
    insert: (value) => void insert.run(value),
  };
}

const settled = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe('store.write (group commit)', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  test('When writes are queued in one turn, then they run in one transaction in the order queued, each sees those before it, and none is answered before the commit', async () => {
    const events: string[] = [];
    const writes = ['a', 'b', 'c'].map((value) =>
      w.store
        .write(async () => {
          events.push(
            `${value} sees ${w.ownRows().join('') || 'nothing'}; committed: ${w.committedRows().length}`,
          );
          w.insert(value);
          return value.toUpperCase();
        })
        .then((result) => {
          events.push(`answer ${result}, committed: ${w.committedRows().join('')}`);
          return result;
        }),
    );
    assert.deepEqual(events, [], 'nothing runs before the turn ends');
    assert.deepEqual(await Promise.all(writes), ['A', 'B', 'C']);
    assert.deepEqual(events, [
      'a sees nothing; committed: 0',
      'b sees a; committed: 0',
      'c sees ab; committed: 0',
      'answer A, committed: abc',
      'answer B, committed: abc',
      'answer C, committed: abc',
    ]);
  });

  test('When one write of a batch throws, then only its own changes are rolled back, it alone is refused, after the commit', async () => {
    const answered: string[] = [];
    const results = await Promise.all(
      ['a', 'b', 'c'].map((value) =>
        settled(
          w.store.write(async () => {
            w.insert(value);
            if (value === 'b') throw new Error('b is refused');
            return value;
          }),
        ).then((result) => {
          answered.push(`${value}: committed ${w.committedRows().join('')}`);
          return result;
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => (r.ok ? r.value : (r.error as Error).message)),
      ['a', 'b is refused', 'c'],
    );
    assert.deepEqual(answered, ['a: committed ac', 'b: committed ac', 'c: committed ac']);
    assert.deepEqual(w.committedRows(), ['a', 'c']);
  });

  test('When a write of a batch wraps a part in q.savepoint and catches its failure, then only that part is rolled back', async () => {
    const result = await w.store.write(async (q) => {
      w.insert('outer');
      try {
        await q.savepoint(async () => {
          w.insert('inner');
          throw new Error('inner fails');
        });
      } catch {
        // the savepoint is undone; the write goes on
      }
      return w.ownRows();
    });
    assert.deepEqual(result, ['outer']);
    assert.deepEqual(w.committedRows(), ['outer']);
  });

  test('When writes of one batch each use savepoints, then each starts its own afresh and all commit together', async () => {
    // A savepoint whose work succeeded stays open until the next of its depth; the batch releases
    // each write's own savepoint, and with it those, so the next write must not look for them.
    const write = (name: string, fails: boolean) =>
      settled(
        w.store.write(async (q) => {
          await q.savepoint(async () => w.insert(`${name}-1`));
          await q.savepoint(async () => w.insert(`${name}-2`));
          if (fails) throw new Error(`${name} fails`);
        }),
      );
    const outcomes = await Promise.all([write('a', false), write('b', true), write('c', false)]);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, false, true],
    );
    assert.deepEqual(w.committedRows(), ['a-1', 'a-2', 'c-1', 'c-2']);
  });

  test('When a write breaks a constraint, then it is refused with the translated error and the others commit', async () => {
    w.insert('taken');
    const [duplicate, fine] = await Promise.all([
      settled(w.store.write(async () => w.insert('taken'))),
      settled(w.store.write(async () => w.insert('free'))),
    ]);
    assert.equal(duplicate.ok, false);
    assert.equal((duplicate as { error: Error }).error.name, 'ConflictError');
    assert.equal(fine.ok, true);
    assert.deepEqual(w.committedRows(), ['taken', 'free']);
  });

  test('When the shared COMMIT fails, then every write of the batch is refused with that error and none is stored; the next batch commits', async () => {
    const results = await Promise.all([
      settled(w.store.write(async () => w.insert('a'))),
      // A deferred foreign key is checked at COMMIT: this write makes the whole commit fail.
      settled(w.store.write(async () => w.db.prepare('INSERT INTO children (parent_id) VALUES (42)').run())),
      settled(w.store.write(async () => w.insert('c'))),
    ]);
    for (const result of results) {
      assert.equal(result.ok, false);
      assert.match((result as { error: Error }).error.message, /FOREIGN KEY/);
    }
    assert.deepEqual(w.committedRows(), []);
    assert.equal(w.db.inTransaction, false);
    await w.store.write(async () => w.insert('after'));
    assert.deepEqual(w.committedRows(), ['after']);
  });

  test('When another connection holds the write lock past the busy timeout, then the batch is retried whole and commits once the lock is free', async () => {
    let retries = 0;
    const busy = world(
      {
        onBusyRetry: () => {
          retries++;
          busy.other.exec('COMMIT'); // the other writer finishes
        },
      },
      20,
    );
    busy.other.exec('BEGIN IMMEDIATE');
    const results = await Promise.all(['a', 'b'].map((v) => busy.store.write(async () => busy.insert(v))));
    assert.equal(results.length, 2);
    assert.equal(retries, 1);
    assert.deepEqual(busy.committedRows(), ['a', 'b']);
  });

  test('When the write lock stays busy for every attempt, then every write of the batch is refused as busy and nothing is stored', async () => {
    let retries = 0;
    const busy = world({ busyAttempts: 2, onBusyRetry: () => retries++ }, 20);
    busy.other.exec('BEGIN IMMEDIATE');
    const results = await Promise.all(
      ['a', 'b'].map((v) => settled(busy.store.write(async () => busy.insert(v)))),
    );
    busy.other.exec('COMMIT');
    assert.equal(retries, 1);
    for (const result of results) {
      assert.equal(result.ok, false);
      assert.equal((result as { error: { code?: string } }).error.code, 'SQLITE_BUSY');
    }
    assert.deepEqual(busy.committedRows(), []);
  });

  test('When more writes are queued than the batch cap, then they commit in several transactions, in order', async () => {
    const capped = world({ maxBatch: 2 });
    const committedWhenRun: number[] = [];
    await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((v) =>
        capped.store.write(async () => {
          committedWhenRun.push(capped.committedRows().length);
          capped.insert(v);
        }),
      ),
    );
    assert.deepEqual(committedWhenRun, [0, 0, 2, 2, 4]);
    assert.deepEqual(capped.committedRows(), ['a', 'b', 'c', 'd', 'e']);
  });

  test('When writes are queued in different turns, then each turn commits on its own', async () => {
    await w.store.write(async () => w.insert('first'));
    const seen = await w.store.write(async () => w.committedRows());
    assert.deepEqual(seen, ['first']);
  });

  test('When a caller writes in a loop, one write after another, then the next starts without waiting a turn, yet the event loop still turns', async () => {
    let written = 0;
    let writtenWhenTurned: number | undefined;
    for (let i = 0; i < 100; i++) {
      await w.store.write(async () => w.insert(`n${i}`));
      written++;
      // Asked for the turn after the first write's.
      if (i === 0) {
        setImmediate(() => {
          writtenWhenTurned = written;
        });
      }
    }
    assert.equal(w.committedRows().length, 100);
    assert.ok(writtenWhenTurned !== undefined, 'the event loop never turned during the loop');
    // A turn between every write would have let the callback in after the first; none at all, never.
    assert.ok(writtenWhenTurned > 1 && writtenWhenTurned < 100, `turned after ${writtenWhenTurned} writes`);
  });

  test('When a write is asked for inside an enclosing write, then it is refused at once and the enclosing write stores nothing', async () => {
    let refusal: unknown;
    await assert.rejects(
      w.store.write(async () => {
        w.insert('enclosing');
        try {
          await w.store.write(async () => w.insert('nested'));
        } catch (error) {
          refusal = error;
        }
        throw new Error('the enclosing write fails');
      }),
    );
    assert.ok(refusal instanceof NestedTransactionError, String(refusal));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(w.committedRows(), []);
  });

  test('When the store closes with writes still queued, then they are committed first', async () => {
    const closing = world();
    const pending = closing.store.write(async () => closing.insert('queued'));
    const rows = closing.committedRows;
    await closing.store.close();
    await pending;
    assert.deepEqual(rows(), ['queued']);
  });
});
