// The storage contract (db/port.ts Store), run against both backends: SQLite on a file, and a real
// PostgreSQL (a throwaway cluster). Commit and rollback, savepoints, a unique violation as a domain
// conflict, and concurrent seat claims deciding on the same row; then what is PostgreSQL's own:
// instances migrating one database at once.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { ConflictError } from '../../../domain/errors.js';
import type { Store } from '../../../db/port.js';
import { openPool } from '../../../db/postgres/connection.js';
import { loadPostgresMigrations, migratePostgres, schemaVersion } from '../../../db/postgres/migrate.js';
import { createPostgresStore } from '../../../db/postgres/store.js';
import { openDatabase } from '../../../db/sqlite/connection.js';
import { migrate } from '../../../db/sqlite/migrate.js';
import { createStore } from '../../../db/sqlite/store.js';
import { tempDir } from '../../helpers/fixtures.js';
import { startPostgres, type PostgresCluster } from '../../helpers/postgres.js';

let cluster: PostgresCluster;
let pool: pg.Pool;
const dir = tempDir('seatkeeper-contract-');

beforeAll(async () => {
  cluster = await startPostgres();
  pool = openPool({ url: cluster.createDatabase('contract'), maxConnections: 20 });
  await migratePostgres(pool);
}, 60_000);
afterAll(async () => {
  await pool?.end();
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const backends: readonly { readonly name: string; readonly open: () => Store }[] = [
  {
    name: 'SQLite',
    open: () => {
      const db = openDatabase(join(dir, 'contract.db'), { busyTimeoutMs: 5000 });
      migrate(db);
      return createStore(db);
    },
  },
  // The pool is the suite's; closing this store would end it, so the suite ends it instead.
  { name: 'PostgreSQL', open: () => createPostgresStore(pool) },
];

describe.each(backends)('the store on $name', ({ open }) => {
  let store: Store;
  beforeAll(() => {
    store = open();
  });
  test('When a write commits, a write throws, and a savepoint fails inside a write, then only what committed is kept', async () => {
    const at = '2026-12-06T00:00:00.000Z';
    const id = await store.write((q) => q.organisations.insert('acme', 'Acme', at));
    await assert.rejects(
      store.write(async (q) => {
        await q.organisations.insert('gone', 'Gone', at);
        throw new Error('undo');
      }),
      /undo/,
    );
    await store.write(async (q) => {
      await q.organisations.insert('kept', 'Kept', at);
      await assert.rejects(
        q.savepoint(async () => {
          await q.organisations.insert('inner', 'Inner', at);
          throw new Error('the inner part fails');
        }),
        /inner part fails/,
      );
    });
    const slugs = await store.read(async (q) => (await q.organisations.all()).map((o) => o.slug).sort());
    assert.deepEqual(slugs, ['acme', 'kept']);
    assert.equal((await store.read((q) => q.organisations.byId(id)))?.slug, 'acme');
  });

  test('When a unique key is taken, then the write is refused as a conflict', async () => {
    await assert.rejects(
      store.write((q) => q.organisations.insert('acme', 'Acme again', '2026-12-06T00:00:00.000Z')),
      (e: unknown) => e instanceof ConflictError,
    );
  });

  test('When forty units claim from a tier of five seats at once, then exactly five succeed', async () => {
    const orgId = await store.write(async (q) => {
      const at = '2026-12-06T00:00:00.000Z';
      const id = await q.organisations.insert('claims', 'Claims', at);
      await q.contracts.insert({
        organisationId: id,
        currency: 'EUR',
        timeZone: 'UTC',
        autoRenew: true,
        termStart: '2026-12-01',
        createdAt: at,
      });
      await q.seatPools.insert(id, 'standard', 1000, 5);
      return id;
    });
    const claimed = await Promise.all(
      Array.from({ length: 40 }, () => store.write((q) => q.seatPools.claim(orgId, 'standard'))),
    );
    assert.equal(claimed.filter(Boolean).length, 5);
    const [tier] = (await store.read((q) => q.seatPools.list(orgId))).filter((t) => t.tierId === 'standard');
    assert.deepEqual([tier?.held, tier?.allocation], [5, 5]);
  });
});

describe('PostgreSQL only', () => {
  test('When three instances migrate one database at once, then every migration is applied exactly once', async () => {
    const url = cluster.createDatabase('contract_race');
    const [first, ...others] = [openPool({ url }), openPool({ url }), openPool({ url })] as const;
    try {
      const applied = await Promise.all([first, ...others].map((p) => migratePostgres(p)));
      assert.deepEqual(
        applied.map((a) => a.length).sort((x, y) => x - y),
        [0, 0, loadPostgresMigrations().length],
      );
      assert.equal(await schemaVersion(first), loadPostgresMigrations().length);
    } finally {
      await Promise.all([first, ...others].map((p) => p.end()));
    }
  });

  test('When the server ends the pool’s idle connections, then the process goes on and the next unit of work runs on a new one', async () => {
    const url = cluster.createDatabase('contract_idle');
    const idleErrors: Error[] = [];
    const own = openPool({ url, onIdleError: (error) => idleErrors.push(error) });
    try {
      await migratePostgres(own);
      const store = createPostgresStore(own);
      await store.read((q) => q.organisations.all());
      // Another session ends every other connection to the database, as a restart or a failover would.
      await pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        ['contract_idle'],
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(idleErrors.length >= 1, 'the pool heard of its lost connection');
      assert.deepEqual(await store.read((q) => q.organisations.all()), []);
    } finally {
      await own.end();
    }
  });
});
