// Reads a test's database straight from storage, through a connection of its own, as another
// process would see the committed state: the SQLite file, or in the PostgreSQL run the test's own
// PostgreSQL database (test/helpers/test-database.ts). Tests use it to prove that a refused request
// wrote nothing without asking the code under test.
import Database from 'better-sqlite3';
import { openPool } from '../../db/postgres/connection.js';
import type { TestContext } from './fixtures.js';

export type Row = Record<string, unknown>;

export interface StoredRows {
  /** The rows a statement returns (plain SQL both dialects accept; no parameters). */
  all(sql: string): Promise<Row[]>;
  /** The names of the tables, sorted. */
  tables(): Promise<string[]>;
  /**
   * Every row of a table in a fixed order: by rowid on SQLite; on PostgreSQL, which has no
   * insertion order, by every column in turn.
   */
  rowsOf(table: string): Promise<Row[]>;
}

/** Runs `read` over a read-only connection to the test's database, closed afterwards. */
export async function readStored<T>(
  ctx: Pick<TestContext, 'databasePath' | 'databaseUrl'>,
  read: (db: StoredRows) => Promise<T>,
): Promise<T> {
  if (ctx.databaseUrl !== null) {
    // The project's own pool settings: bigint and count(*) come back as numbers, as on SQLite.
    const pool = openPool({ url: ctx.databaseUrl, maxConnections: 1 });
    const all = async (sql: string) => (await pool.query<Row>(sql)).rows;
    try {
      return await read({
        all,
        async tables() {
          const rows = await all(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
          );
          return rows.map((r) => r.name as string);
        },
        async rowsOf(table) {
          const [{ n }] = (
            await pool.query<{ n: number }>(
              'SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
              [table],
            )
          ).rows as [{ n: number }];
          if (n === 0) throw new Error(`no table ${table}`);
          const every = Array.from({ length: n }, (_, i) => i + 1).join(', ');
          return await all(`SELECT * FROM "${table}" ORDER BY ${every}`);
        },
      });
    } finally {
      await pool.end();
    }
  }
  const db = new Database(ctx.databasePath, { readonly: true, fileMustExist: true });
  const all = async (sql: string) => await Promise.resolve(db.prepare<[], Row>(sql).all());
  try {
    return await read({
      all,
      async tables() {
        const rows = await all("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        return rows.map((r) => r.name as string);
      },
      async rowsOf(table) {
        return await all(`SELECT * FROM "${table}" ORDER BY rowid`);
      },
    });
  } finally {
    db.close();
  }
}
