// The query layer (db/sql.ts) over SQLite (db/sqlite/sql.ts), on a real file: every call settles as
// a Promise, a failing statement rejects rather than throwing, and an iteration left early frees
// the connection for the next statement.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../db/sqlite/connection.js';
import { sqliteSql } from '../../../db/sqlite/sql.js';
import type { Sql } from '../../../db/sql.js';
import { tempDir } from '../../helpers/fixtures.js';

const dir = tempDir('seatkeeper-sql-');
let db: Db;
let sql: Sql;

beforeAll(() => {
  db = openDatabase(join(dir, 'sql.db'), { busyTimeoutMs: 5000 });
  db.exec('CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size INTEGER NOT NULL)');
  sql = sqliteSql(db);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Thing {
  id: number;
  name: string;
  size: number;
}

describe('the SQLite query layer', () => {
  test('When statements run with positional and named parameters, then rows, counts and absences come back as Promises', async () => {
    const insert = sql.prepare<[string, number], { id: number }>(
      'INSERT INTO things (name, size) VALUES (?, ?) RETURNING id',
    );
    const grow = sql.prepare<{ by: number; name: string }>(
      'UPDATE things SET size = size + @by WHERE name = @name',
    );
    const byName = sql.prepare<[string], Thing>('SELECT * FROM things WHERE name = ?');

    const inserted = insert.get('anchor', 1);
    assert.ok(inserted instanceof Promise);
    const { id } = (await inserted)!;
    assert.equal((await grow.run({ by: 4, name: 'anchor' })).changes, 1);
    assert.equal((await grow.run({ by: 4, name: 'nothing' })).changes, 0);
    assert.deepEqual(await byName.get('anchor'), { id, name: 'anchor', size: 5 });
    assert.equal(await byName.get('nothing'), undefined);
    assert.deepEqual(await sql.prepare<[], Thing>('SELECT * FROM things ORDER BY id').all(), [
      { id, name: 'anchor', size: 5 },
    ]);
  });

  test('When a statement is prepared for rows as arrays, then each row is its columns in order', async () => {
    const counted = sql.prepare<[string], [string, number]>('SELECT name, size FROM things WHERE name = ?', {
      rowsAsArrays: true,
    });
    assert.deepEqual(await counted.get('anchor'), ['anchor', 5]);
  });

  test('When a statement fails, then its Promise rejects with the driver error and nothing throws at the call', async () => {
    const insert = sql.prepare<[string, number]>('INSERT INTO things (name, size) VALUES (?, ?)');
    let pending: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      pending = insert.run('anchor', 1);
    });
    await assert.rejects(pending!, (e: unknown) => e instanceof Error && /UNIQUE/.test(e.message));
  });

  test('When an iteration is left early, then the connection runs the next statement', async () => {
    const insert = sql.prepare<[string, number]>('INSERT INTO things (name, size) VALUES (?, ?)');
    for (const name of ['b', 'c', 'd']) await insert.run(name, 1);
    const seen: string[] = [];
    for await (const row of sql.prepare<[], Thing>('SELECT * FROM things ORDER BY id').iterate()) {
      seen.push(row.name);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, ['anchor', 'b']);
    // An iterator still open would make this throw "This database connection is busy".
    assert.equal((await insert.run('e', 1)).changes, 1);
  });

  test('When request-dependent statements are cached, then one text is prepared once and the cache stops growing at its limit', () => {
    const prepared = sql.cache(2);
    const a = prepared('SELECT 1 AS n');
    assert.equal(prepared('SELECT 1 AS n'), a);
    prepared('SELECT 2 AS n');
    const third = prepared('SELECT 3 AS n');
    assert.notEqual(
      prepared('SELECT 3 AS n'),
      third,
      'a text past the limit is prepared each time, not kept',
    );
    assert.equal(prepared('SELECT 1 AS n'), a);
  });
});
