// The store on both backends, for a test file that runs the same tests on each: a migrated SQLite
// file in a temporary directory, and a migrated database on a throwaway PostgreSQL cluster started
// for the file (beforeAll) and stopped with it (afterAll). The cluster and the pool are the file's
// own: a PostgreSQL store built on the pool is never closed by a test, the file ends the pool.
import { afterAll, beforeAll } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { Store } from '../../db/port.js';
import { openPool } from '../../db/postgres/connection.js';
import { migratePostgres } from '../../db/postgres/migrate.js';
import { createPostgresStore } from '../../db/postgres/store.js';
import type { SecretBox } from '../../db/secret-box.js';
import { openDatabase } from '../../db/sqlite/connection.js';
import { migrate } from '../../db/sqlite/migrate.js';
import { createStore } from '../../db/sqlite/store.js';
import { tempDir } from './fixtures.js';
import { startPostgres, type PostgresCluster } from './postgres.js';

export interface StoreBackend {
  readonly name: 'SQLite' | 'PostgreSQL';
  /** A store on the file's database of this backend (SQLite: a new connection to the one file). */
  readonly open: (secrets?: SecretBox) => Store;
}

export interface StoreBackends {
  readonly backends: readonly StoreBackend[];
  /** The file's cluster, once beforeAll has run (for databases of a test's own). */
  readonly cluster: PostgresCluster;
  /** The pool on the file's PostgreSQL database, once beforeAll has run. */
  readonly pool: pg.Pool;
}

/** Registers the file's beforeAll and afterAll; `name` names the database and the SQLite file. */
export function storeBackends(name: string, maxConnections: number): StoreBackends {
  const dir = tempDir(`seatkeeper-${name}-`);
  let cluster: PostgresCluster | undefined;
  let pool: pg.Pool | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
    pool = openPool({ url: cluster.createDatabase(name.replace(/-/g, '_')), maxConnections });
    await migratePostgres(pool);
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the PostgreSQL cluster is started in beforeAll');
    return value;
  };
  return {
    backends: [
      {
        name: 'SQLite',
        open: (secrets) => {
          const db = openDatabase(join(dir, `${name}.db`), { busyTimeoutMs: 5000 });
          migrate(db);
          return createStore(db, secrets ? { secrets } : {});
        },
      },
      {
        name: 'PostgreSQL',
        open: (secrets) => createPostgresStore(started(pool), secrets ? { secrets } : {}),
      },
    ],
    get cluster() {
      return started(cluster);
    },
    get pool() {
      return started(pool);
    },
  };
}
