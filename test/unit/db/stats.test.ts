// The database statistics (db/port.ts DatabaseStats) on both dialects: SQLite on a file and a real
// PostgreSQL (a throwaway cluster). The same data gives the same seat totals and outbox counts, the
// schema version follows the migrations applied, and /readyz's answer follows it; a read that fails
// or does not answer leaves a scrape without the database gauges instead of failing or holding it.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { FixedClock } from '../../../domain/clock.js';
import type { DatabaseStats, Store } from '../../../db/port.js';
import { openPool } from '../../../db/postgres/connection.js';
import { loadPostgresMigrations, migratePostgres } from '../../../db/postgres/migrate.js';
import { createPostgresStats } from '../../../db/postgres/stats.js';
import { createPostgresStore } from '../../../db/postgres/store.js';
import { createSecretBox, newSecretKey } from '../../../db/secret-box.js';
import { openDatabase } from '../../../db/sqlite/connection.js';
import { loadMigrations, migrate } from '../../../db/sqlite/migrate.js';
import { createStats } from '../../../db/sqlite/stats.js';
import { createStore } from '../../../db/sqlite/store.js';
import { createLogger } from '../../../runtime/logger.js';
import { createHealth } from '../../../server/health.js';
import { createMetrics, type Metrics } from '../../../server/metrics.js';
import { tempDir } from '../../helpers/fixtures.js';
import { startPostgres, type PostgresCluster } from '../../helpers/postgres.js';

let cluster: PostgresCluster;
const pools: pg.Pool[] = [];
const dir = tempDir('seatkeeper-stats-');
const key = newSecretKey();
const secrets = createSecretBox({ keys: () => [key] });

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One database of a dialect, migrated, and what the tests do to it behind the store's back. */
interface Backend {
  readonly store: Store;
  readonly stats: DatabaseStats;
  /** The number of migrations the dialect ships. */
  readonly migrations: number;
  /** Makes the database look one migration behind, as its own bookkeeping records it. */
  forgetNewestMigration(): Promise<void>;
  /** Statistics over a connection to the same database that is closed at once: every read fails. */
  closedStats(): Promise<DatabaseStats>;
}

const backends: readonly { readonly name: string; readonly open: (db: string) => Promise<Backend> }[] = [
  {
    name: 'SQLite',
    open: async (name) => {
      const path = join(dir, `${name}.db`);
      const db = openDatabase(path, { busyTimeoutMs: 5000 });
      migrate(db);
      return {
        store: createStore(db, { secrets }),
        stats: createStats(db),
        migrations: loadMigrations().length,
        async forgetNewestMigration() {
          const version = db.pragma('user_version', { simple: true }) as number;
          db.pragma(`user_version = ${version - 1}`);
        },
        async closedStats() {
          const other = openDatabase(path, { busyTimeoutMs: 5000 });
          const stats = createStats(other);
          other.close();
          return stats;
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    open: async (name) => {
      const url = cluster.createDatabase(name);
      const pool = openPool({ url });
      pools.push(pool);
      await migratePostgres(pool);
      return {
        store: createPostgresStore(pool, { secrets }),
        stats: createPostgresStats(pool),
        migrations: loadPostgresMigrations().length,
        async forgetNewestMigration() {
          await pool.query(
            'DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)',
          );
        },
        async closedStats() {
          const other = openPool({ url, maxConnections: 1 });
          const stats = createPostgresStats(other);
          await other.end();
          return stats;
        },
      };
    },
  },
];

const AT = '2026-12-06T12:00:00.000Z';
/** Minutes after AT, as stored timestamps. */
const at = (minutes: number) => new Date(Date.parse(AT) + minutes * 60_000).toISOString();

const logger = createLogger('silent');

/**
 * Scrapes whose database gauges could not be read, as counted after the last one. A scrape reports
 * the counter before its gauges are read, so its own failure shows in the next scrape's text.
 */
const collectErrors = async (metrics: Metrics): Promise<number> =>
  (await metrics.registry.getSingleMetric('seatkeeper_metrics_collect_errors_total')?.get())?.values[0]
    ?.value ?? Number.NaN;

describe.each(backends)('the database statistics on $name', ({ name, open }) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await open(`stats_${name.toLowerCase()}`);
  });

  test('When nothing is pending, then both outboxes count nothing and have no oldest row', async () => {
    const empty = { pending: 0, retrying: 0, oldestPendingAt: null };
    assert.deepEqual(await backend.stats.outbox(), empty);
    assert.deepEqual(await backend.stats.webhooks(), empty);
    assert.deepEqual(await backend.stats.seats(), []);
  });

  test('When seats are claimed and people wait, then the seat totals are per organisation and tier, with the organisation’s waiting counts on each of its tiers', async () => {
    const { store } = backend;
    const beta = await organisationWithPool(store, 'beta', { standard: 1 });
    const alpha = await organisationWithPool(store, 'alpha', { premium: 2, standard: 3 });
    await store.write(async (q) => {
      for (const [org, tier] of [
        [alpha, 'premium'],
        [alpha, 'standard'],
        [alpha, 'standard'],
        [beta, 'standard'],
      ] as const)
        assert.equal(await q.seatPools.claim(org, tier), true);
      // Two of alpha's directory users kept awaiting a seat; beta's one is seated.
      for (const [org, email, state] of [
        [alpha, 'a1@alpha.example', 'awaiting_seat'],
        [alpha, 'a2@alpha.example', 'awaiting_seat'],
        [beta, 'b1@beta.example', 'seated'],
      ] as const) {
        const member = await q.members.insert({
          organisationId: org,
          email,
          displayName: null,
          role: 'user',
          source: 'scim',
          at: AT,
        });
        assert.ok(
          await q.members.setSeat(member, 'unassigned', state, state === 'seated' ? 'standard' : null, AT),
        );
      }
      // The waiting list: two refused at alpha, one of them seated since; one at beta.
      await q.waitlist.record(alpha, 'r1@alpha.example', 'scim', AT);
      await q.waitlist.record(alpha, 'r2@alpha.example', 'jit', AT);
      await q.waitlist.resolve(alpha, 'r2@alpha.example', at(1));
      await q.waitlist.record(beta, 'r1@beta.example', 'scim', AT);
    });
    assert.deepEqual(await backend.stats.seats(), [
      { organisation: 'alpha', tier: 'premium', allocation: 2, held: 1, awaiting: 2, refused: 1 },
      { organisation: 'alpha', tier: 'standard', allocation: 3, held: 2, awaiting: 2, refused: 1 },
      { organisation: 'beta', tier: 'standard', allocation: 1, held: 1, awaiting: 0, refused: 1 },
    ]);
  });

  test('When mail is delivered, given up, retried and waiting, then the mail outbox counts the pending, the retrying, and the oldest pending', async () => {
    const { store } = backend;
    const ids = await store.write(async (q) => {
      const made = [];
      for (let i = 0; i < 5; i++) {
        made.push(
          await q.outbox.insert({
            organisationId: null,
            kind: 'invitation',
            recipient: `m${i}@example.com`,
            subject: 'Hello',
            text: 'Hello',
            html: null,
            messageId: `<m${i}-${name}@example.com>`,
            at: at(i),
          }),
        );
      }
      return made;
    });
    const [delivered, failed, retried] = ids as [number, number, number, number, number];
    await store.write(async (q) => {
      const lease = at(30);
      assert.ok(await q.outbox.lease(delivered, at(10), lease));
      assert.equal(await q.outbox.markDelivered(delivered, lease, at(11)), true);
      assert.ok(await q.outbox.lease(failed, at(10), lease));
      assert.equal(await q.outbox.markFailed(failed, lease, at(11), 'mailbox unknown'), true);
      assert.ok(await q.outbox.lease(retried, at(10), lease));
      assert.equal(await q.outbox.markRetry(retried, lease, at(20), 'connection refused'), true);
    });
    // The two oldest are finished; the third, retrying, is now the oldest pending.
    assert.deepEqual(await backend.stats.outbox(), { pending: 3, retrying: 1, oldestPendingAt: at(2) });
  });

  test('When webhook deliveries are delivered, given up, retried and waiting, then the webhook outbox counts them the same way', async () => {
    const { store } = backend;
    const ids = await store.write(async (q) => {
      const org = await q.organisations.insert('hooks', 'Hooks', AT);
      const endpoint = await q.webhooks.insertEndpoint({
        organisationId: org,
        url: 'https://hooks.example/receive',
        description: 'receiver',
        events: ['member.created'],
        secret: 'whsec-stats-test',
        at: AT,
      });
      const made = [];
      for (let i = 0; i < 4; i++) {
        const event = await q.webhooks.insertEvent({
          publicId: `evt-${name}-${i}`,
          organisationId: org,
          type: 'member.created',
          memberId: null,
          body: '{}',
          at: at(i),
        });
        made.push(await q.webhooks.insertDelivery(endpoint, event, null, at(i)));
      }
      return made;
    });
    const [delivered, failed, retried] = ids as [number, number, number, number];
    await store.write(async (q) => {
      const lease = at(30);
      assert.ok(await q.webhooks.lease(delivered, at(10), lease));
      assert.equal(await q.webhooks.markDelivered(delivered, lease, at(11), 204), true);
      assert.ok(await q.webhooks.lease(failed, at(10), lease));
      assert.equal(await q.webhooks.markFailed(failed, lease, at(11), 410, 'gone'), true);
      assert.ok(await q.webhooks.lease(retried, at(10), lease));
      assert.equal(await q.webhooks.markRetry(retried, lease, at(20), 503, 'unavailable'), true);
    });
    assert.deepEqual(await backend.stats.webhooks(), { pending: 2, retrying: 1, oldestPendingAt: at(2) });
  });

  test('When migrated, then the schema version is the latest and /readyz is ready; when the newest migration is forgotten, then it is one lower and /readyz says the schema is behind', async () => {
    const { store, stats } = backend;
    const health = createHealth({ ping: () => store.ping(), stats });
    assert.equal(stats.latestSchemaVersion, backend.migrations);
    // Both dialects number their migrations alike: one version means the same tables.
    assert.equal(stats.latestSchemaVersion, loadMigrations().length);
    assert.equal(await stats.schemaVersion(), stats.latestSchemaVersion);
    assert.deepEqual(await health.readiness(), {
      ready: true,
      database: 'ok',
      schema: 'current',
      shuttingDown: false,
    });
    await backend.forgetNewestMigration();
    assert.equal(await stats.schemaVersion(), stats.latestSchemaVersion - 1);
    assert.deepEqual(await health.readiness(), {
      ready: false,
      database: 'ok',
      schema: 'behind',
      shuttingDown: false,
    });
  });

  test('When a scrape reads the gauges, then they are the statistics of the database', async () => {
    const metrics = createMetrics({ stats: backend.stats, clock: new FixedClock(at(62)), logger });
    const text = await metrics.registry.metrics();
    assert.match(text, /^seatkeeper_seats_allocation\{organisation="alpha",tier="premium"\} 2$/m);
    assert.match(text, /^seatkeeper_seats_available\{organisation="alpha",tier="standard"\} 1$/m);
    assert.match(text, /^seatkeeper_seats_waiting\{organisation="alpha",reason="awaiting_seat"\} 2$/m);
    assert.match(text, /^seatkeeper_mail_outbox_pending 3$/m);
    // The oldest pending mail was enqueued at minute 2, an hour before the clock.
    assert.match(text, /^seatkeeper_mail_outbox_oldest_pending_seconds 3600$/m);
    assert.match(text, /^seatkeeper_webhook_outbox_retrying 1$/m);
    assert.equal(await collectErrors(metrics), 0);
  });

  test('When the statistics cannot be read, then a scrape answers without the database gauges and counts the failure, and /readyz says the schema is unknown', async () => {
    const broken = await backend.closedStats();
    await assert.rejects(broken.seats());
    await assert.rejects(broken.schemaVersion());
    const metrics = createMetrics({ stats: broken, clock: new FixedClock(AT), logger });
    const text = await metrics.registry.metrics();
    // The labelled gauges have no series; those without labels show 0 (the outbox holds 3).
    assert.doesNotMatch(text, /^seatkeeper_seats_allocation\{/m);
    assert.match(text, /^seatkeeper_mail_outbox_pending 0$/m);
    assert.equal(await collectErrors(metrics), 1);
    // Each scrape reads again: the second fails too, and is counted too.
    await metrics.registry.metrics();
    assert.equal(await collectErrors(metrics), 2);
    const health = createHealth({ ping: () => backend.store.ping(), stats: broken });
    assert.deepEqual(await health.readiness(), {
      ready: false,
      database: 'ok',
      schema: 'unknown',
      shuttingDown: false,
    });
  });
});

describe('PostgreSQL only', () => {
  test('When the statistics wait for a connection that does not come, then a scrape answers within its time limit without the database gauges, and the next one, once the database answers, has them', async () => {
    const url = cluster.createDatabase('stats_wait');
    const pool = openPool({ url, maxConnections: 1 });
    pools.push(pool);
    await migratePostgres(pool);
    const store = createPostgresStore(pool);
    await store.write((q) =>
      q.outbox.insert({
        organisationId: null,
        kind: 'invitation',
        recipient: 'waiting@example.com',
        subject: 'Hello',
        text: 'Hello',
        html: null,
        messageId: '<waiting@example.com>',
        at: AT,
      }),
    );
    const metrics = createMetrics({
      stats: createPostgresStats(pool),
      clock: new FixedClock(AT),
      logger,
      statsTimeoutMs: 300,
    });
    // The pool's one connection is taken: every statistic waits in the pool's queue.
    const held = await pool.connect();
    try {
      const started = Date.now();
      const text = await metrics.registry.metrics();
      const took = Date.now() - started;
      assert.ok(took < 3000, `the scrape took ${took} ms`);
      // Left out: 0 where the outbox holds 1.
      assert.match(text, /^seatkeeper_mail_outbox_pending 0$/m);
      assert.equal(await collectErrors(metrics), 1);
    } finally {
      held.release();
    }
    const later = await metrics.registry.metrics();
    assert.match(later, /^seatkeeper_mail_outbox_pending 1$/m);
    assert.equal(await collectErrors(metrics), 1);
  });

  test('When the pool has no free connection, then /readyz answers within its time limit that the database timed out, and is ready again once it answers', async () => {
    const url = cluster.createDatabase('readiness_wait');
    const pool = openPool({ url, maxConnections: 1 });
    pools.push(pool);
    await migratePostgres(pool);
    const store = createPostgresStore(pool);
    const health = createHealth({
      ping: () => store.ping(),
      stats: createPostgresStats(pool),
      timeoutMs: 300,
    });
    const held = await pool.connect();
    try {
      const started = Date.now();
      const readiness = await health.readiness();
      const took = Date.now() - started;
      assert.ok(took < 3000, `readiness took ${took} ms`);
      assert.deepEqual(readiness, {
        ready: false,
        database: 'timeout',
        schema: 'unknown',
        shuttingDown: false,
      });
    } finally {
      held.release();
    }
    assert.deepEqual(await health.readiness(), {
      ready: true,
      database: 'ok',
      schema: 'current',
      shuttingDown: false,
    });
  });
});

/** An organisation with a contract and the given seats per tier. */
async function organisationWithPool(
  store: Store,
  slug: string,
  seats: Readonly<Record<string, number>>,
): Promise<number> {
  return await store.write(async (q) => {
    const id = await q.organisations.insert(slug, slug, AT);
    await q.contracts.insert({
      organisationId: id,
      currency: 'EUR',
      timeZone: 'UTC',
      autoRenew: true,
      termStart: '2026-12-01',
      createdAt: AT,
    });
    for (const [tier, allocation] of Object.entries(seats))
      await q.seatPools.insert(id, tier, 1000, allocation);
    return id;
  });
}
