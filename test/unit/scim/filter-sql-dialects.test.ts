// SCIM filters and sortBy compiled for SQLite and for PostgreSQL (db/scim-filter-sql.ts), run over
// the same directory in a migrated SQLite file and a throwaway PostgreSQL cluster: every filter of
// test/unit/scim/filter-sql.test.ts selects the same ids on both, or is refused the same way, and
// every sortBy orders the rows the same way, ascending and descending.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import {
  compileGroupFilter,
  compileUserFilter,
  groupSortExpression,
  sortDirection,
  userSortExpression,
} from '../../../db/scim-filter-sql.js';
import { openPool } from '../../../db/postgres/connection.js';
import { migratePostgres } from '../../../db/postgres/migrate.js';
import { postgresSql } from '../../../db/postgres/sql.js';
import { createPostgresStore } from '../../../db/postgres/store.js';
import type { Store } from '../../../db/port.js';
import type { Dialect, Sql } from '../../../db/sql.js';
import { openDatabase, type Db } from '../../../db/sqlite/connection.js';
import { migrate } from '../../../db/sqlite/migrate.js';
import { sqliteSql } from '../../../db/sqlite/sql.js';
import { createStore } from '../../../db/sqlite/store.js';
import { parseAttributePath, parseFilter, type FilterNode } from '../../../scim/filter.js';
import { tempDir } from '../../helpers/fixtures.js';
import { startPostgres, type PostgresCluster } from '../../helpers/postgres.js';
import {
  GROUP_FILTERS,
  OWNER,
  USER_SORTS,
  seedFilterDirectory,
  userFilters,
} from '../../helpers/scim-filter-data.js';

let cluster: PostgresCluster;
let pool: pg.Pool;
let client: pg.PoolClient;
let sqlite: Db;
const dir = tempDir('seatkeeper-filter-dialects-');
const on: Record<Dialect, { sql: Sql; orgId: number; store: () => Store }> = {} as never;

beforeAll(async () => {
  cluster = await startPostgres();
  // A database whose own collation orders text by language rules (ICU's en-US: "a" before "B",
  // punctuation nearly ignored), as a production database's often does: the compiled SQL must
  // still compare and order by code point, as SQLite does.
  const admin = openPool({ url: `${cluster.url}/postgres`, maxConnections: 1 });
  await admin.query(
    "CREATE DATABASE filters TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'",
  );
  await admin.end();
  pool = openPool({ url: `${cluster.url}/filters`, maxConnections: 2 });
  await migratePostgres(pool);
  client = await pool.connect();
  const postgres = postgresSql({ client, inTransaction: false });
  sqlite = openDatabase(join(dir, 'filters.db'), { busyTimeoutMs: 5000 });
  migrate(sqlite);
  const lite = sqliteSql(sqlite);
  on.sqlite = { sql: lite, orgId: await seedFilterDirectory(lite), store: () => createStore(sqlite) };
  on.postgres = {
    sql: postgres,
    orgId: await seedFilterDirectory(postgres),
    store: () => createPostgresStore(pool),
  };
}, 60_000);
afterAll(async () => {
  client?.release();
  await pool?.end();
  cluster?.stop();
  sqlite?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a filter or sortBy gives on one dialect: the ids, or the refusal's code and message. */
type Outcome = { readonly ids: readonly string[] } | { readonly refused: string };

async function outcome(run: () => Promise<string[]>): Promise<Outcome> {
  let ids: string[];
  try {
    ids = await run();
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    // A refusal is the compiler's (invalid_filter, invalid_sort); a database error fails the test.
    if (code !== 'invalid_filter' && code !== 'invalid_sort') throw error;
    return { refused: `${code}: ${message}` };
  }
  return { ids };
}

async function ids(dialect: Dialect, text: string, params: readonly unknown[]): Promise<string[]> {
  const { sql, orgId } = on[dialect];
  const rows = (await sql
    .cache()(text)
    .all(orgId, ...params)) as { public_id: string }[];
  return rows.map((row) => row.public_id);
}

const users = (dialect: Dialect, filter: string | FilterNode) =>
  outcome(async () => {
    const { sql, params } = compileUserFilter(
      typeof filter === 'string' ? parseFilter(filter) : filter,
      dialect,
    );
    const found = await ids(
      dialect,
      `SELECT m.public_id FROM members m WHERE m.organisation_id = ? AND (${sql})`,
      params,
    );
    return found.sort();
  });

const groups = (dialect: Dialect, filter: string) =>
  outcome(async () => {
    const { sql, params } = compileGroupFilter(parseFilter(filter), dialect);
    const found = await ids(
      dialect,
      `SELECT g.public_id FROM scim_groups g WHERE g.organisation_id = ? AND (${sql})`,
      params,
    );
    return found.sort();
  });

/** Every listed member (the owner too) in sortBy's order, the id breaking ties, as the listing does. */
const sortedUsers = (dialect: Dialect, sortBy: string, descending: boolean) =>
  outcome(() =>
    ids(
      dialect,
      `SELECT m.public_id FROM members m WHERE m.organisation_id = ?
       ORDER BY ${userSortExpression(parseAttributePath(sortBy), dialect)} ${sortDirection(descending)},
         m.id ${descending ? 'DESC' : 'ASC'}`,
      [],
    ),
  );

const sortedGroups = (dialect: Dialect, descending: boolean) =>
  outcome(() =>
    ids(
      dialect,
      `SELECT g.public_id FROM scim_groups g WHERE g.organisation_id = ?
       ORDER BY ${groupSortExpression(parseAttributePath('displayName'), dialect)} ${sortDirection(descending)}`,
      [],
    ),
  );

const label = (filter: string | FilterNode) =>
  typeof filter === 'string' ? (filter.length > 120 ? `${filter.slice(0, 117)}…` : filter) : 'an AST chain';

describe('SCIM filters on SQLite and PostgreSQL', () => {
  test('When every user filter of the SQLite tests runs on both, then each selects the same members or is refused alike', async () => {
    let selected = 0;
    for (const filter of userFilters(OWNER)) {
      const lite = await users('sqlite', filter);
      assert.deepEqual(await users('postgres', filter), lite, label(filter));
      if ('ids' in lite && lite.ids.length > 0) selected++;
    }
    // The comparison means something only if most filters select someone.
    assert.ok(selected > 80, `only ${selected} filters selected anyone`);
  });

  test('When every group filter of the SQLite tests runs on both, then each selects the same groups', async () => {
    for (const filter of GROUP_FILTERS) {
      assert.deepEqual(await groups('postgres', filter), await groups('sqlite', filter), filter);
    }
  });

  test('When the users are sorted by each sortBy either way, then both order them alike', async () => {
    for (const sortBy of USER_SORTS) {
      for (const descending of [false, true]) {
        const lite = await sortedUsers('sqlite', sortBy, descending);
        assert.ok('ids' in lite && lite.ids.length === 6, `${sortBy}: ${JSON.stringify(lite)}`);
        assert.deepEqual(await sortedUsers('postgres', sortBy, descending), lite, `${sortBy} ${descending}`);
      }
    }
    for (const descending of [false, true]) {
      assert.deepEqual(await sortedGroups('postgres', descending), await sortedGroups('sqlite', descending));
    }
  });

  test('When the SQLite filter tests name a filter or sortBy, then the shared list holds it', () => {
    // The lists in test/helpers/scim-filter-data.ts are copies: a filter added to the SQLite tests
    // and not to the lists would go untested here. Each call's literal must appear in the lists verbatim.
    const tests = readFileSync(new URL('./filter-sql.test.ts', import.meta.url), 'utf8');
    const lists = readFileSync(new URL('../../helpers/scim-filter-data.ts', import.meta.url), 'utf8');
    const literal = /\b(users|groups|sorted)\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`)/g;
    const calls = [...tests.matchAll(literal)];
    assert.ok(calls.length > 100, `${calls.length} calls found`);
    const missing = calls.map((call) => call[2]!).filter((text) => !lists.includes(text));
    assert.deepEqual(missing, []);
  });

  test('When the SCIM listings page through a filtered and sorted directory, then both dialects give the same pages', async () => {
    const pages: readonly [filter: string | undefined, sortBy: string | undefined, descending: boolean][] = [
      [undefined, undefined, false],
      [undefined, undefined, true],
      ['emails pr', 'emails', false],
      ['title eq null', 'userName', true],
      [undefined, 'meta.lastModified', true],
      ['not (groups pr)', 'name.familyName', false],
    ];
    const listings = async (dialect: Dialect) => {
      const store = on[dialect].store();
      const orgId = on[dialect].orgId;
      const out: unknown[] = [];
      for (const [filter, sortBy, descending] of pages) {
        for (const offset of [0, 2]) {
          const page = {
            filter: filter === undefined ? undefined : parseFilter(filter),
            sortBy: sortBy === undefined ? undefined : parseAttributePath(sortBy),
            descending,
            offset,
            limit: 3,
          };
          const users = await store.read((q) => q.directoryUsers.list(orgId, page));
          const groups = await store.read((q) =>
            q.groups.list(orgId, { ...page, filter: undefined, sortBy: parseAttributePath('displayName') }),
          );
          out.push({
            users: [users.total, users.members.map((m) => m.publicId)],
            groups: [groups.total, groups.groups.map((g) => g.publicId)],
          });
        }
      }
      return out;
    };
    const lite = await listings('sqlite');
    assert.deepEqual(await listings('postgres'), lite);
    assert.deepEqual(lite[0], {
      users: [6, [OWNER, 'u1', 'u2']],
      groups: [3, ['g-adm', 'g-eng', 'g-empty']],
    });
  });
});
