// Backups taken with `seatkeeper backup` while another process keeps claiming and releasing seats
// restore (`seatkeeper restore`) to databases that pass integrity_check and whose seat counters
// equal their member rows; a restore refuses a damaged backup, a newer schema, and a database in use.
import { test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, openSync, readdirSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadMigrations } from '../../../db/sqlite/migrate.js';
import { FixedClock } from '../../../domain/clock.js';
import { OPERATOR } from '../../../domain/model.js';
import { buildContainer } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';
import { exampleOrganisation, tempDir } from '../../helpers/fixtures.js';
import { cli } from '../../helpers/server-main-process.js';
import { WORKER_NOW, type WorkerMessage } from '../../helpers/processes/protocol.js';

const CHURNER = fileURLToPath(new URL('../../helpers/processes/churner.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The churner worker: claims, releases, invites and revokes in a loop until killed. */
function startChurner(databasePath: string, orgId: number) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHURNER, databasePath, String(orgId), 'bk', '60'],
    {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let ops = 0;
  let failure: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as WorkerMessage;
      if (message.type === 'ready') resolve();
      if (message.type === 'progress') ops = message.ops;
      if (message.type === 'error') failure = message.error;
    });
    child.once('exit', () => reject(new Error(`the churner exited early: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ready,
    go: () => child.stdin.write('go\n'),
    ops: () => ops,
    failure: () => failure,
    /** Resolves once the churner has done `n` more operations than now. */
    async moreOps(n: number): Promise<void> {
      const target = ops + n;
      const deadline = Date.now() + 20_000;
      while (ops < target) {
        if (failure) throw new Error(failure);
        if (Date.now() > deadline) throw new Error(`the churner is stuck at ${ops} ops: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Integrity, foreign keys, and per tier the pool's `held` against the member rows holding seats. */
function inspect(path: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      foreignKeyProblems: (db.pragma('foreign_key_check') as unknown[]).length,
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      tiers: db
        .prepare<[], { tier: string; held: number; holding: number; allocation: number }>(
          `SELECT p.tier_id AS tier, p.held, p.allocation,
             (SELECT count(*) FROM members m WHERE m.organisation_id = p.organisation_id AND m.tier_id = p.tier_id
                AND m.seat_state IN ('seated', 'invited')) AS holding
           FROM seat_pools p ORDER BY p.tier_id`,
        )
        .all(),
      claims: db
        .prepare("SELECT count(*) FROM audit_log WHERE action = 'seat.claimed'")
        .pluck()
        .get() as number,
    };
  } finally {
    db.close();
  }
}

type CliResult = ReturnType<typeof cli>;
const errorCode = (r: CliResult) =>
  (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: { code: string } }).error.code;

test('When backups are taken while another process writes, then each restores to an intact database whose seat counts match its members, and restores refuse what they must', async () => {
  const dir = tempDir();
  const databasePath = join(dir, 'live', 'seatkeeper.db');
  const seats = { standard: 30, premium: 20 };
  const setupContainer = await buildContainer({
    config: { databasePath, dbBusyTimeoutMs: 5000, quoteTtlSeconds: 900 },
    clock: new FixedClock(WORKER_NOW),
    logger: createLogger('silent'),
  });
  const orgId = (await setupContainer.organisations.create(exampleOrganisation({ seats }), OPERATOR))
    .organisation.id;
  await setupContainer.close();

  const churner = startChurner(databasePath, orgId);
  try {
    await churner.ready;
    churner.go();
    await churner.moreOps(50);

    // Three backups, each while the churner keeps committing.
    const backups: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const before = churner.ops();
      const file = join(dir, 'backups', `seatkeeper-${i}.db`);
      const made = cli(dir, 'backup', file, '--db', databasePath);
      assert.equal(made.status, 0, made.stderr);
      const result = made.json as {
        file: string;
        bytes: number;
        pages: number;
        pageSize: number;
        integrity: string;
      };
      assert.equal(result.file, file);
      assert.equal(result.integrity, 'ok');
      assert.ok(result.pages > 0 && result.bytes === result.pages * result.pageSize, JSON.stringify(result));
      backups.push(file);
      // The churner's reports queued while the command ran (it runs synchronously here).
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(churner.ops() > before, 'the other process wrote while the backup was taken');
      await churner.moreOps(20);
    }
    assert.deepEqual(
      readdirSync(join(dir, 'backups')).sort(),
      ['seatkeeper-1.db', 'seatkeeper-2.db', 'seatkeeper-3.db'],
      'no partial file is left behind',
    );

    // The live database is in use by the churner: a restore onto it is refused, and changes nothing.
    const refused = cli(dir, 'restore', backups[0]!, '--db', databasePath);
    assert.equal(refused.status, 1, refused.stderr);
    assert.equal(errorCode(refused), 'database_in_use');
    assert.ok(!readdirSync(join(dir, 'live')).some((f) => f.includes('before-restore')));

    // Each backup restores into a new place, intact and exact.
    let claims = 0;
    for (const [i, file] of backups.entries()) {
      const target = join(dir, `restored-${i}`, 'seatkeeper.db');
      const restored = cli(dir, 'restore', file, '--db', target);
      assert.equal(restored.status, 0, restored.stderr);
      assert.equal((restored.json as { previous: string | null }).previous, null);
      const state = inspect(target);
      assert.equal(state.integrity, 'ok', `backup ${i + 1}: integrity_check`);
      assert.equal(state.foreignKeyProblems, 0);
      for (const tier of state.tiers) {
        assert.equal(
          tier.held,
          tier.holding,
          `backup ${i + 1} ${tier.tier}: held = member rows holding a seat`,
        );
        assert.ok(tier.held <= tier.allocation);
      }
      assert.ok(state.claims > claims, `backup ${i + 1} is later than the one before`);
      claims = state.claims;
    }
    assert.ok(inspect(databasePath).claims > claims, 'the live database went on after the last backup');
  } finally {
    await churner.stop();
  }
  assert.equal(churner.failure(), undefined);

  // With the writer stopped, the backup restores over the live database; the old one is kept.
  const over = cli(dir, 'restore', join(dir, 'backups', 'seatkeeper-2.db'), '--db', databasePath);
  assert.equal(over.status, 0, over.stderr);
  const previous = (over.json as { previous: string }).previous;
  assert.ok(existsSync(previous), 'the database as it was is kept');
  assert.equal(inspect(previous).integrity, 'ok');
  const live = inspect(databasePath);
  assert.equal(live.claims, inspect(join(dir, 'backups', 'seatkeeper-2.db')).claims);
  for (const tier of live.tiers) assert.equal(tier.held, tier.holding);

  // A damaged backup and one from a newer release are refused before anything is touched.
  const damaged = join(dir, 'damaged.db');
  copyFileSync(join(dir, 'backups', 'seatkeeper-3.db'), damaged);
  const fd = openSync(damaged, 'r+');
  writeSync(fd, Buffer.alloc(4096 * 3, 0x5a), 0, 4096 * 3, 4096 * 2);
  closeSync(fd);
  const badRestore = cli(dir, 'restore', damaged, '--db', databasePath);
  assert.equal(badRestore.status, 1, badRestore.stderr);
  assert.equal(errorCode(badRestore), 'backup_damaged');

  const newer = join(dir, 'newer.db');
  copyFileSync(join(dir, 'backups', 'seatkeeper-3.db'), newer);
  const db = new Database(newer);
  db.pragma(`user_version = ${loadMigrations().length + 1}`);
  db.close();
  const newerRestore = cli(dir, 'restore', newer, '--db', databasePath);
  assert.equal(newerRestore.status, 1, newerRestore.stderr);
  assert.equal(errorCode(newerRestore), 'backup_schema_newer');
  assert.match(newerRestore.stderr, /newer than this server/);

  assert.equal(inspect(databasePath).claims, live.claims, 'the refused restores changed nothing');
  rmSync(dir, { recursive: true, force: true });
});
