// Scenarios "seat claims vs raw inserts" and "members admitted vs raw inserts": how close a seat
// claim through the pool comes to the cheapest durable write SQLite can do with the same settings.
//
// A seat claim is seats.claim(…, HIGHEST) for a member who exists without a seat: one BEGIN
// IMMEDIATE transaction with the conditional seat-pool UPDATE, the member's seat move and its audit
// row. An admission is members.admit(…, HIGHEST): the member insert and its audit row as well,
// in the same transaction (what a SCIM create or a JIT sign-in does). The baseline is one
// autocommit INSERT of a comparable member row into a plain table (no index but the rowid), each its
// own commit. Both files are opened by db/sqlite/connection.ts openDatabase (WAL, synchronous = FULL,
// foreign keys, busy timeout), so both pay one WAL fsync per operation; the ratio shows what the
// claim adds on top.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../db/sqlite/connection.js';
import { systemClock } from '../domain/clock.js';
import { HIGHEST, OPERATOR } from '../domain/model.js';
import { buildContainer, type Container } from '../server/container.js';
import { createLogger } from '../runtime/logger.js';
import { benchOrganisation } from './fixture.js';
import {
  combine,
  latencySummary,
  opsPerSecond,
  timeAsyncOps,
  timeOps,
  type RunOptions,
  type Scenario,
  type ScenarioResult,
  type Timing,
} from './scenario.js';

const GOAL_RATIO = 0.5;

interface Sizes {
  /** Measured operations per side. */
  readonly count: number;
  /** Unmeasured operations per side first (JIT, statement caches, file growth). */
  readonly warmup: number;
  /** The measured operations run in this many alternating slices (raw, claims, raw, claims …), so
   * that a burst of load from elsewhere on the machine hits both sides alike. */
  readonly rounds: number;
}

const sizesFor = ({ quick }: RunOptions): Sizes =>
  quick ? { count: 500, warmup: 50, rounds: 2 } : { count: 5000, warmup: 300, rounds: 10 };

type Operation = 'claim' | 'admit';

/** The real services over `databasePath`, with an organisation whose premium tier fits every claim. */
async function claimSide(databasePath: string, claims: number, operation: Operation) {
  const c: Container = await buildContainer({
    config: { databasePath, dbBusyTimeoutMs: 5000, quoteTtlSeconds: 900 },
    clock: systemClock,
    logger: createLogger('silent'),
  });
  const { organisation } = await c.organisations.create(
    benchOrganisation('bench', 'bench.example', { standard: 10, premium: claims + 10 }),
    OPERATOR,
  );
  const orgId = organisation.id;
  // Untimed set-up for seat claims: the members, without seats, in one transaction.
  const memberIds =
    operation === 'claim'
      ? await c.store.write(async (q) => {
          const ids: number[] = [];
          for (let i = 0; i < claims; i++) {
            const member = await q.members.insert({
              organisationId: orgId,
              email: `user-${i}@bench.example`,
              displayName: null,
              role: 'user',
              source: 'scim',
              at: new Date().toISOString(),
            });
            ids.push(member.id);
          }
          return ids;
        })
      : [];
  return {
    c,
    async claim(i: number): Promise<void> {
      if (operation === 'claim') await c.seats.claim(orgId, memberIds[i]!, HIGHEST, OPERATOR);
      else
        await c.members.admit(
          orgId,
          { email: `user-${i}@bench.example`, role: 'user' },
          'scim',
          HIGHEST,
          OPERATOR,
        );
    },
    /** Seats held in the premium tier (every claim takes one). */
    held: async () => (await c.seats.usage(orgId)).find((t) => t.tierId === 'premium')!.held,
  };
}

/** A plain table on its own file, same connection settings, one autocommit INSERT per operation. */
function rawSide(databasePath: string) {
  const db: Db = openDatabase(databasePath, { busyTimeoutMs: 5000 });
  db.exec(`CREATE TABLE raw_members (
    id INTEGER PRIMARY KEY, organisation_id INTEGER NOT NULL, email TEXT NOT NULL, email_key TEXT NOT NULL,
    display_name TEXT, role TEXT NOT NULL, seat_state TEXT NOT NULL, tier_id TEXT, source TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  const insert = db.prepare<[string, string, string, string]>(
    `INSERT INTO raw_members (organisation_id, email, email_key, display_name, role, seat_state, tier_id, source, created_at, updated_at)
     VALUES (1, ?, ?, NULL, 'user', 'seated', 'premium', 'scim', ?, ?)`,
  );
  return {
    db,
    insert(i: number): void {
      const email = `User-${i}@bench.example`;
      const at = new Date().toISOString();
      insert.run(email, email.toLowerCase(), at, at);
    },
    rows: () => db.prepare('SELECT count(*) FROM raw_members').pluck().get() as number,
  };
}

/** Operations in the untimed sample that counts WAL pages; few enough not to reach an autocheckpoint. */
const WAL_SAMPLE = 50;

/**
 * Empties the file's write-ahead log (a TRUNCATE checkpoint through a second connection), runs `op`
 * WAL_SAMPLE times, and returns the WAL frames (pages) appended per operation.
 */
async function walPagesPerOp(databasePath: string, op: () => unknown): Promise<number> {
  const probe = openDatabase(databasePath, { busyTimeoutMs: 5000 });
  try {
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    const [result] = probe.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (result?.busy !== 0) throw new Error(`could not empty the WAL of ${databasePath}`);
    for (let i = 0; i < WAL_SAMPLE; i++) await op();
    const walBytes = statSync(`${databasePath}-wal`).size;
    return Math.max(0, walBytes - WAL_HEADER_BYTES) / (pageSize + WAL_FRAME_HEADER_BYTES) / WAL_SAMPLE;
  } finally {
    probe.close();
  }
}
const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;

/** `count` split into `rounds` nearly equal slices. */
function slices(count: number, rounds: number): number[] {
  const base = Math.floor(count / rounds);
  return Array.from({ length: rounds }, (_, r) => (r < count % rounds ? base + 1 : base));
}

function claimScenario(name: string, operation: Operation, goal: boolean): Scenario {
  return {
    name,
    async run(options: RunOptions): Promise<ScenarioResult> {
      const { count, warmup, rounds } = sizesFor(options);
      const dir = mkdtempSync(join(tmpdir(), 'seatkeeper-bench-'));
      const closers: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
      try {
        const claimsPath = join(dir, 'claims.db');
        const rawPath = join(dir, 'raw.db');
        const claims = await claimSide(claimsPath, warmup + count + WAL_SAMPLE, operation);
        closers.unshift(() => claims.c.close());
        const raw = rawSide(rawPath);
        closers.unshift(() => raw.db.close());
        const memory = await claimSide(':memory:', warmup + count, operation);
        closers.unshift(() => memory.c.close());
        let nextClaim = 0;
        let nextRaw = 0;
        let nextMemory = 0;
        for (let i = 0; i < warmup; i++) {
          raw.insert(nextRaw++);
          await claims.claim(nextClaim++);
          await memory.claim(nextMemory++);
        }
        const rawTimings: Timing[] = [];
        const claimTimings: Timing[] = [];
        const memoryTimings: Timing[] = [];
        for (const n of slices(count, rounds)) {
          rawTimings.push(timeOps(n, (i) => raw.insert(i), nextRaw));
          nextRaw += n;
          claimTimings.push(await timeAsyncOps(n, (i) => claims.claim(i), nextClaim));
          nextClaim += n;
          memoryTimings.push(await timeAsyncOps(n, (i) => memory.claim(i), nextMemory));
          nextMemory += n;
        }
        // Untimed: how many pages each operation appends to the write-ahead log (what its commit must sync).
        const claimPages = await walPagesPerOp(claimsPath, () => claims.claim(nextClaim++));
        const rawPages = await walPagesPerOp(rawPath, () => raw.insert(nextRaw++));
        // Every operation really happened.
        if ((await claims.held()) !== nextClaim)
          throw new Error(`expected ${nextClaim} claims, pool holds ${await claims.held()}`);
        if (raw.rows() !== nextRaw) throw new Error(`expected ${nextRaw} raw rows, found ${raw.rows()}`);

        const rawT = combine(rawTimings);
        const claimT = combine(claimTimings);
        const memoryT = combine(memoryTimings);
        const value = opsPerSecond(claimT);
        const baseline = opsPerSecond(rawT);
        const ratio = value / baseline;
        const memoryRate = opsPerSecond(memoryT);
        const us = (opsPerS: number) => Math.round(1e6 / opsPerS);
        return {
          name,
          unit: 'ops/s',
          value,
          baseline: { name: 'raw autocommit INSERT', value: baseline },
          ratio,
          goal: goal
            ? { description: `claims >= ${GOAL_RATIO * 100} % of raw`, met: ratio >= GOAL_RATIO }
            : { description: 'none (for comparison)', met: true },
          notes: [
            `${count} each after ${warmup} warm-up, in ${rounds} alternating slices; one file each, openDatabase settings (WAL, synchronous=FULL)`,
            `claim latency ${latencySummary(claimT)}; raw insert latency ${latencySummary(rawT)}`,
            `per op: claim ${us(value)} µs = ~${us(memoryRate)} µs CPU (the same claim on :memory:: ${Math.round(memoryRate).toLocaleString('en-US')}/s) + ~${us(value) - us(memoryRate)} µs to commit ${claimPages.toFixed(1)} WAL pages; raw insert ${us(baseline)} µs, ${rawPages.toFixed(1)} WAL pages`,
          ],
        };
      } finally {
        for (const close of closers) await close();
      }
    },
  };
}

export const seatClaims = claimScenario('seat claims vs raw inserts', 'claim', true);
export const admissions = claimScenario('members admitted with a seat vs raw inserts', 'admit', false);
