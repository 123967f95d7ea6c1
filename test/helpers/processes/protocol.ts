// What the worker processes of processes.test.ts share: the real container over the database file
// named on the command line, and one JSON message per stdout line (the parent reads them).
// Not a test file: these scripts are spawned as separate operating-system processes.
import { createInterface } from 'node:readline';
import { FixedClock } from '../../../domain/clock.js';
import { buildContainer, type Container } from '../../../server/container.js';
import { createLogger } from '../../../runtime/logger.js';

/** Inside the example contract's first term (it starts on 2026-01-01 and auto-renews). */
export const WORKER_NOW = '2026-03-01T09:00:00Z';

export type WorkerMessage =
  | { readonly type: 'ready'; readonly pid: number }
  | {
      readonly type: 'progress';
      /** Operations finished (committed or refused) so far. */
      readonly ops: number;
      /** Member rows this process has created and seen committed. */
      readonly created: number;
    }
  | {
      readonly type: 'done';
      readonly attempts: number;
      readonly successes: number;
      readonly seatLimits: number;
      /** Transactions the store retried because the write lock stayed busy past the busy timeout. */
      readonly busyRetries: number;
      readonly elapsedMs: number;
      /** Every error that was not a SeatLimitError, as "Name: message" (the first 10). */
      readonly otherErrors: readonly string[];
      readonly otherErrorCount: number;
    }
  | { readonly type: 'error'; readonly error: string };

/** Writes one message line; stdout to a pipe is synchronous on Linux, so it is out before the next op. */
export function send(message: WorkerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The database a worker is given: a PostgreSQL URL, or else the path of a SQLite file. */
export function databaseConfig(target: string): { databasePath: string; databaseUrl?: string } {
  return /^postgres(ql)?:\/\//.test(target)
    ? { databasePath: ':memory:', databaseUrl: target }
    : { databasePath: target };
}

/** The real services over `target` (databaseConfig), with a silent logger that only counts busy retries. */
export async function workerContainer(target: string): Promise<{ c: Container; busyRetries: () => number }> {
  let retries = 0;
  // The store reports each busy retry as a warning; nothing else in a claim logs at warn level.
  const logger = createLogger('warn', { write: () => void retries++ });
  const c = await buildContainer({
    config: { ...databaseConfig(target), dbBusyTimeoutMs: 5000, quoteTtlSeconds: 900 },
    clock: new FixedClock(WORKER_NOW),
    logger,
  });
  return { c, busyRetries: () => retries };
}

/** Resolves when the parent writes "go" on stdin. */
export function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    let go = false;
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === 'go') {
        go = true;
        resolve();
        lines.close();
      }
    });
    lines.on('close', () => {
      if (!go) reject(new Error('stdin closed before "go"'));
    });
  });
}

/** Positional command-line arguments after the script, each required. */
export function args(names: readonly string[]): string[] {
  const values = process.argv.slice(2);
  if (values.length < names.length) {
    process.stderr.write(`usage: ${names.join(' ')}\n`);
    process.exit(2);
  }
  return values;
}
