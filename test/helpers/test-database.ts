// Which database the storage-facing suites run on. By default SQLite, a file per test. With
// SEATKEEPER_TEST_BACKEND=postgres (`npm run test:postgres`) the same suites run on PostgreSQL: the
// wrapper test/helpers/with-postgres.ts starts one throwaway cluster for the run and migrates
// a template database once; each test gets its own database, cloned from the template in
// milliseconds, so tests stay as isolated as they are on SQLite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TestBackend = 'sqlite' | 'postgres';

export const TEST_BACKEND: TestBackend =
  process.env.SEATKEEPER_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** Set by test/helpers/with-postgres.ts: the cluster's superuser URL, without a database name. */
export const CLUSTER_URL_ENV = 'SEATKEEPER_TEST_PG_URL';

/** The migrated, empty database each test's database is cloned from. */
export const TEMPLATE_DATABASE = 'seatkeeper_template';

/**
 * A new, migrated, empty PostgreSQL database for one test: its URL. Throws when the run was not
 * started for PostgreSQL (no cluster), rather than falling back to SQLite unseen.
 */
export async function newPostgresDatabase(): Promise<string> {
  const cluster = process.env[CLUSTER_URL_ENV];
  if (!cluster) {
    throw new Error(
      `${CLUSTER_URL_ENV} is not set: run the PostgreSQL suites through npm run test:postgres, which starts the cluster (test/helpers/with-postgres.ts).`,
    );
  }
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${cluster}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  return `${cluster}/${name}`;
}
