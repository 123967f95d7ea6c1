// Liveness and readiness: /livez answers while the process runs; /readyz only while the database
// answers on this build's schema and the process is not shutting down, which the real server
// process reports from the moment SIGTERM arrives, while it still serves.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import request from 'supertest';
import { setup, tempDir, testApp } from '../../helpers/fixtures.js';
import { startServer } from '../../helpers/server-main-process.js';

describe('The probes in process', () => {
  test('When the database answers on the current schema, then /livez and /readyz answer 200, and /healthz is as it was', async () => {
    const ctx = await setup();
    try {
      const app = testApp(ctx);
      assert.deepEqual((await request(app).get('/livez').expect(200)).body, { status: 'ok' });
      assert.deepEqual((await request(app).get('/readyz').expect(200)).body, {
        status: 'ready',
        database: 'ok',
        schema: 'current',
        shuttingDown: false,
      });
      assert.deepEqual((await request(app).get('/healthz').expect(200)).body, {
        status: 'ok',
        database: 'ok',
      });
    } finally {
      await ctx.cleanup();
    }
  });

  test('When the process is shutting down, then /readyz answers 503 and /livez still 200', async () => {
    const ctx = await setup();
    try {
      const app = testApp(ctx);
      ctx.c.health.shuttingDown();
      const res = await request(app).get('/readyz').expect(503);
      assert.equal(res.body.status, 'not_ready');
      assert.equal(res.body.shuttingDown, true);
      await request(app).get('/livez').expect(200);
    } finally {
      await ctx.cleanup();
    }
  });

  test('When the database is gone, or on a newer schema than this build, then /readyz answers 503 saying which', async () => {
    const ahead = await setup();
    const gone = await setup();
    try {
      const other = new Database(ahead.databasePath);
      other.pragma('user_version = 999');
      other.close();
      const aheadRes = await request(testApp(ahead)).get('/readyz').expect(503);
      assert.deepEqual([aheadRes.body.database, aheadRes.body.schema], ['ok', 'ahead']);

      const app = testApp(gone);
      await gone.cleanup();
      const goneRes = await request(app).get('/readyz').expect(503);
      assert.equal(goneRes.body.database, 'unreachable');
      await request(app).get('/livez').expect(200);
    } finally {
      await ahead.cleanup();
    }
  });
});

describe('The probes of the server process', () => {
  test('When SIGTERM arrives, then /readyz turns 503 at once while requests are still served for the shutdown delay, and the process then exits 0', async () => {
    const dir = tempDir();
    try {
      const { child, port, logs, exited } = await startServer({ DATA_DIR: dir, SHUTDOWN_DELAY_MS: '1500' });
      const base = `http://127.0.0.1:${port}`;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const signalled = Date.now();
      child.kill('SIGTERM');
      let readyz: Response;
      for (;;) {
        readyz = await fetch(`${base}/readyz`);
        if (readyz.status === 503 || Date.now() - signalled > 1000) break;
        await readyz.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(readyz.status, 503, 'not ready soon after SIGTERM');
      assert.equal(((await readyz.json()) as { shuttingDown: boolean }).shuttingDown, true);
      assert.equal((await fetch(`${base}/livez`)).status, 200, 'alive while draining');
      assert.equal((await fetch(`${base}/healthz`)).status, 200, 'still serving during the delay');
      assert.equal(await exited, 0);
      assert.ok(Date.now() - signalled >= 1400, 'it kept serving for the shutdown delay');
      assert.deepEqual(logs.map((l) => l.msg).slice(-2), ['shutting down', 'stopped']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
