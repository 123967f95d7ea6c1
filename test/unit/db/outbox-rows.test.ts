// The life of an outbox row, shared by mail and webhook deliveries (db/queries/outbox-rows.ts), over
// a real SQLite file; and when a failed row is tried again or given up (domain/backoff.ts).
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../db/sqlite/connection.js';
import { migrate } from '../../../db/sqlite/migrate.js';
import { createOutboxQueries } from '../../../db/queries/outbox.js';
import { createOutboxRows } from '../../../db/queries/outbox-rows.js';
import { sqliteSql } from '../../../db/sqlite/sql.js';
import { afterFailure } from '../../../domain/backoff.js';
import { tempDir } from '../../helpers/fixtures.js';

const dir = tempDir('seatkeeper-outbox-rows-');
let db: Db;
let rows: ReturnType<typeof createOutboxRows>;
let outbox: ReturnType<typeof createOutboxQueries>;

beforeAll(() => {
  db = openDatabase(join(dir, 'outbox.db'), { busyTimeoutMs: 5000 });
  migrate(db);
  rows = createOutboxRows(sqliteSql(db), { table: 'outbox' });
  outbox = createOutboxQueries(sqliteSql(db));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = '2026-03-01T09:00:00.000Z';
const T1 = '2026-03-01T09:01:00.000Z';
const T2 = '2026-03-01T09:02:00.000Z';
const T5 = '2026-03-01T09:05:00.000Z';

let n = 0;
async function enqueue(at = T0): Promise<number> {
  n += 1;
  return await outbox.insert({
    organisationId: null,
    kind: 'invitation',
    recipient: `person${n}@example.com`,
    subject: 'Hello',
    text: 'Hello',
    html: null,
    messageId: `<m${n}@outbox.seatkeeper.invalid>`,
    at,
  });
}

describe('An outbox row', () => {
  test('When a row is due, then one worker leases it, the attempt is counted, and a second lease is refused until the first runs out', async () => {
    const id = await enqueue();
    assert.ok((await rows.due(T0, 100)).includes(id));
    assert.equal(await rows.lease(id, T0, T2), true);
    assert.equal((await outbox.byId(id))?.attempts, 1);
    assert.equal(await rows.lease(id, T1, T5), false, 'leased by another worker');
    assert.ok(!(await rows.due(T1, 100)).includes(id));
    assert.equal(await rows.lease(id, T5, '2026-03-01T09:07:00.000Z'), true, 'the first lease ran out');
    assert.equal((await outbox.byId(id))?.attempts, 2);
  });

  test('When a worker records delivery, then it counts only while it holds the lease', async () => {
    const id = await enqueue();
    assert.equal(await rows.lease(id, T0, T2), true);
    assert.equal(await rows.markDelivered(id, T5, T1), false, 'not the lease this worker holds');
    assert.equal(await rows.markDelivered(id, T2, T1), true);
    assert.equal((await outbox.byId(id))?.state, 'delivered');
    assert.equal(await rows.markFailed(id, T2, T1, 'late'), false, 'a finished row does not change again');
    assert.ok(!(await rows.due(T5, 100)).includes(id));
  });

  test('When an attempt fails and is retried, then the row is due again only at its next attempt, with its error kept', async () => {
    const id = await enqueue();
    assert.equal(await rows.lease(id, T0, T2), true);
    assert.equal(await rows.markRetry(id, T2, T5, 'connection refused'), true);
    const row = (await outbox.byId(id))!;
    assert.equal(row.state, 'pending');
    assert.equal(row.nextAttemptAt, T5);
    assert.equal(row.lastError, 'connection refused');
    assert.equal(row.leaseUntil, null);
    assert.ok(!(await rows.due(T2, 100)).includes(id));
    assert.ok((await rows.due(T5, 100)).includes(id));
  });

  test('When a row is given up, then it stays, failed, with its last error, and is never due again', async () => {
    const id = await enqueue();
    assert.equal(await rows.lease(id, T0, T2), true);
    assert.equal(await rows.markFailed(id, T2, T1, '550 no such user'), true);
    const row = (await outbox.byId(id))!;
    assert.equal(row.state, 'failed');
    assert.equal(row.lastError, '550 no such user');
    assert.ok(!(await rows.due('2027-01-01T00:00:00.000Z', 100)).includes(id));
  });

  test('When rows are due, then the longest due comes first', async () => {
    const later = await enqueue('2026-02-01T00:00:10.000Z');
    const earlier = await enqueue('2026-02-01T00:00:00.000Z');
    const due = await rows.due(T0, 1000);
    assert.ok(due.indexOf(earlier) < due.indexOf(later));
  });
});

describe('After a failed attempt', () => {
  const backoff = { baseMs: 30_000, maxMs: 3_600_000 };
  const low = () => 0;

  test('When attempts remain, then the row is tried again after the backoff delay, doubling and capped', () => {
    assert.deepEqual(afterFailure(1, { maxAttempts: 20, random: low, backoff }), {
      giveUp: false,
      delayMs: 15_000,
    });
    assert.deepEqual(afterFailure(2, { maxAttempts: 20, random: low, backoff }), {
      giveUp: false,
      delayMs: 30_000,
    });
    assert.deepEqual(afterFailure(19, { maxAttempts: 20, random: () => 1, backoff }), {
      giveUp: false,
      delayMs: 3_600_000,
    });
  });

  test('When the last attempt failed, or the failure is permanent, then the row is given up', () => {
    assert.deepEqual(afterFailure(20, { maxAttempts: 20, random: low, backoff }), { giveUp: true });
    assert.deepEqual(afterFailure(1, { maxAttempts: 20, permanent: true, random: low, backoff }), {
      giveUp: true,
    });
  });
});
