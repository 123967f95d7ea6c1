// The unit of work over a real PostgreSQL (a throwaway cluster): migrations under the advisory lock,
// commit and rollback, savepoints, a unique violation as a domain conflict, and the seat claim's
// conditional UPDATE deciding between concurrent units on their own connections.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import type pg from 'pg';
import { ConflictError } from '../../../domain/errors.js';
import type { Store } from '../../../db/port.js';
import { openPool } from '../../../db/postgres/connection.js';
import { loadPostgresMigrations, migratePostgres, schemaVersion } from '../../../db/postgres/migrate.js';
import { createPostgresStore } from '../../../db/postgres/store.js';
import { startPostgres, type PostgresCluster } from '../../helpers/postgres.js';

let cluster: PostgresCluster;
let pool: pg.Pool;
let store: Store;

beforeAll(async () => {
  cluster = await startPostgres();
  pool = openPool({ url: cluster.createDatabase('store_test'), maxConnections: 20 });
  store = createPostgresStore(pool);
}, 60_000);
afterAll(async () => {
  await store?.close();
  cluster?.stop();
});

describe('the PostgreSQL store', () => {
  test('When three instances migrate one database at once, then every migration is applied exactly once', async () => {
    const others = [
      openPool({ url: `${cluster.url}/store_test` }),
      openPool({ url: `${cluster.url}/store_test` }),
    ];
    try {
      const applied = await Promise.all([pool, ...others].map((p) => migratePostgres(p)));
      assert.deepEqual(
        applied.map((a) => a.length).sort((x, y) => x - y),
        [0, 0, loadPostgresMigrations().length],
      );
      assert.equal(await schemaVersion(pool), loadPostgresMigrations().length);
    } finally {
      await Promise.all(others.map((p) => p.end()));
    }
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

  test('When forty units claim from a tier of five seats at once, each on its own connection, then exactly five succeed', async () => {
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
