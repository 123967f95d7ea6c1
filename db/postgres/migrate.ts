// Applies the numbered SQL files of db/postgres/migrations in order, numbered as SQLite's, all
// pending ones in one transaction, and records each in schema_migrations. Instances that start
// together take a transaction-scoped advisory lock first, so one applies the migrations and the
// others, once it commits, find nothing left to do.
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import { readMigrations, type Migration } from '../migration-files.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** An arbitrary constant naming Seatkeeper's migration lock among the database's advisory locks. */
const MIGRATION_LOCK = 7_264_011_203;

export function loadPostgresMigrations(): Migration[] {
  return readMigrations(MIGRATIONS_DIR);
}

/** The schema version the database is at (0 before the first migration). */
export async function schemaVersion(pool: Pool): Promise<number> {
  const exists = await pool.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
  if (exists.rows[0]?.t === null) return 0;
  const { rows } = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return Number(rows[0]?.v ?? 0);
}

/** Returns the migrations applied now (empty when the schema was already current). */
export async function migratePostgres(
  pool: Pool,
  migrations = loadPostgresMigrations(),
): Promise<Migration[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    const current = Number(rows[0]?.v ?? 0);
    if (current > migrations.length) {
      throw new Error(`database schema version ${current} is newer than this server (${migrations.length})`);
    }
    const pending = migrations.filter((m) => m.version > current);
    for (const m of pending) {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
    }
    await client.query('COMMIT');
    return pending;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
