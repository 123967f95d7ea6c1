// The HTTP app over real services, and the real entry point as an operating-system process.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { spawnSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Agent, request as httpRequest } from 'node:http';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import request from 'supertest';
import { setup, tempDir, testApp, type TestContext } from '../helpers/fixtures.js';
import { organisationWithToken, startServer } from '../helpers/server-main-process.js';

describe('The HTTP app', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await setup();
  });
  afterAll(() => ctx.cleanup());

  test('When /healthz is asked, then it answers 200 after checking the database', async () => {
    const res = await request(testApp(ctx)).get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', database: 'ok' });
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('When the caller sends an X-Request-Id, then the response carries the same id', async () => {
    const res = await request(testApp(ctx)).get('/healthz').set('X-Request-Id', 'abc-123');
    assert.equal(res.headers['x-request-id'], 'abc-123');
  });

  test('When a route does not exist, then the answer is a 404 problem document', async () => {
    const res = await request(testApp(ctx)).get('/nowhere');
    assert.equal(res.status, 404);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(JSON.parse(res.text).code, 'not_found');
  });

  test('When the database is gone, then /healthz answers 503', async () => {
    const other = await setup();
    const app = testApp(other);
    await other.cleanup();
    const res = await request(app).get('/healthz');
    assert.equal(res.status, 503);
    assert.equal(res.body.database, 'unreachable');
  });
});

describe('The entry point', () => {
  test('When started with no configuration but a data directory, then it creates the database, serves, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    try {
      const { child, port, logs, exited } = await startServer({ DATA_DIR: dir });
      assert.ok(existsSync(join(dir, 'seatkeeper.db')), 'the SQLite file is created under DATA_DIR');
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const messages = logs.map((l) => l.msg);
      assert.ok(messages.includes('database migrated'));
      assert.deepEqual(messages.slice(-2), ['shutting down', 'stopped']);
      assert.ok(
        !existsSync(join(dir, 'seatkeeper.db-wal')),
        'the database was closed (its WAL checkpointed away)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('When SIGTERM arrives while a request is still being received, then that request completes and the server then exits 0', async () => {
    const dir = tempDir();
    try {
      // An organisation and a SCIM token in the same database file, made by the operator's CLI.
      const token = organisationWithToken(dir, 5);

      const { child, port, exited } = await startServer({ DATA_DIR: dir });
      const body = JSON.stringify({
        userName: 'inflight@acme.example',
        emails: [{ value: 'inflight@acme.example', primary: true }],
      });
      const response = new Promise<{ status: number; text: string }>((resolveResponse, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/scim/v2/Users',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        // Half the body now; the signal; the rest after the server has begun shutting down.
        req.write(body.slice(0, 20));
        setTimeout(() => {
          child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(20)), 300);
        }, 200);
      });
      const answered = await response;
      assert.equal(answered.status, 201, answered.text);
      assert.equal(await exited, 0);
      const check = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
      const stored = check
        .prepare("SELECT seat_state FROM members WHERE user_name = 'inflight@acme.example'")
        .get() as { seat_state: string };
      check.close();
      assert.equal(
        stored.seat_state,
        'seated',
        'the in-flight create was committed before the database closed',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('When SIGTERM arrives under steady keep-alive traffic, then the server stops when the requests in flight end, well within the grace period, and keeps every create it answered', async () => {
    const dir = tempDir();
    try {
      const token = organisationWithToken(dir, 5_000);
      const graceMs = 10_000;
      const server = await startServer({ DATA_DIR: dir, SHUTDOWN_GRACE_MS: String(graceMs) });
      // Four connections, each reused back to back: never idle while the client keeps sending.
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      const create = (userName: string) =>
        new Promise<number>((resolveStatus, reject) => {
          const body = JSON.stringify({ userName, emails: [{ value: userName, primary: true }] });
          const req = httpRequest(
            {
              agent,
              host: '127.0.0.1',
              port: server.port,
              method: 'POST',
              path: '/scim/v2/Users',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolveStatus(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const answered: string[] = [];
      let sent = 0;
      const client = async () => {
        for (;;) {
          const userName = `steady${sent++}@acme.example`;
          try {
            const status = await create(userName);
            assert.equal(status, 201);
            answered.push(userName);
          } catch {
            return; // refused or cut: the server has stopped taking requests
          }
        }
      };
      const clients = Promise.all([client(), client(), client(), client()]);
      // Steady traffic first: a few dozen creates answered, however slow the machine.
      const warmUntil = Date.now() + 20_000;
      while (answered.length < 20 && Date.now() < warmUntil) {
        await new Promise((resolveSoon) => setTimeout(resolveSoon, 20));
      }
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      const drainMs = Date.now() - signalledAt;
      await clients;
      agent.destroy();

      assert.ok(drainMs < graceMs / 2, `stopped ${drainMs} ms after SIGTERM (grace ${graceMs} ms)`);
      assert.ok(!server.logs.some((l) => l.msg.startsWith('grace period over')), 'no connection was cut');
      assert.ok(answered.length >= 20, `steady traffic: ${answered.length} creates answered`);
      const check = new Database(join(dir, 'seatkeeper.db'), { readonly: true });
      const kept = new Set(
        (
          check.prepare("SELECT user_name FROM members WHERE seat_state = 'seated'").all() as {
            user_name: string;
          }[]
        ).map((r) => r.user_name),
      );
      check.close();
      assert.deepEqual(
        answered.filter((u) => !kept.has(u)),
        [],
        'every create answered 201 was committed',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('When the port is taken, then a second server logs one line saying so and exits 1, alone or as a cluster', async () => {
    const first = tempDir();
    const second = tempDir();
    try {
      const running = await startServer({ DATA_DIR: first });
      for (const workers of ['1', '2']) {
        const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
          env: { ...process.env, DATA_DIR: second, PORT: String(running.port), WORKERS: workers },
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.equal(result.status, 1, `WORKERS=${workers}: ${result.stdout}${result.stderr}`);
        const lines = result.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { level: number; msg: string });
        const refusals = lines.filter((l) => l.msg.startsWith('cannot listen'));
        assert.equal(refusals.length, 1, `WORKERS=${workers}: one line, ${result.stdout}`);
        assert.equal(refusals[0]!.level, 60, 'fatal');
        assert.match(
          refusals[0]!.msg,
          new RegExp(
            `^cannot listen on 127\\.0\\.0\\.1:${running.port}: the address is already in use.*\\(EADDRINUSE\\)$`,
          ),
        );
        assert.ok(!lines.some((l) => l.msg.startsWith('listening')), 'it never claims to listen');
      }
      const res = await fetch(`http://127.0.0.1:${running.port}/healthz`);
      assert.equal(res.status, 200, 'the first server serves on');
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
    } finally {
      rmSync(first, { recursive: true, force: true });
      rmSync(second, { recursive: true, force: true });
    }
  });

  test('When a .env file is in the working directory, then the server reads it, and the environment wins over it', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, '.env'), '# local settings\nDATA_DIR=./from-env-file\nexport PORT=1\n');
      const env: Record<string, string | undefined> = {
        ...process.env,
        PORT: '0',
        JOBS_INTERVAL_SECONDS: '0',
      };
      delete env.DATA_DIR;
      delete env.DATABASE_PATH;
      const child = spawn(
        process.execPath,
        [
          '--import',
          import.meta.resolve('tsx'),
          fileURLToPath(new URL('../../server/main.ts', import.meta.url)),
        ],
        { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
      const listening = await new Promise<{ port: number; database: string }>((resolveListening, reject) => {
        void exited.then((code) => reject(new Error(`exited with ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          const entry = JSON.parse(line) as { msg: string; port: number; database: string };
          if (entry.msg.startsWith('listening')) resolveListening(entry);
        });
      });
      assert.notEqual(listening.port, 1, 'PORT from the environment, not the file');
      assert.equal(listening.database, join(dir, 'from-env-file', 'seatkeeper.db'), 'DATA_DIR from the file');
      assert.ok(existsSync(join(dir, 'from-env-file', 'seatkeeper.db')));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('When the configuration is invalid, then the server refuses to start, names every problem and exits 1', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, PORT: '99999', LOG_LEVEL: 'chatty' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Invalid configuration/);
    assert.match(result.stderr, /PORT="99999"/);
    assert.match(result.stderr, /LOG_LEVEL="chatty"/);
  });
});
