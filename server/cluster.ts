// Several server processes on one database file (WORKERS > 1). The primary applies migrations
// once, then forks workers that share the listening socket; each worker opens the database itself
// and runs the ordinary single-process server. SQLite serialises writers with its file lock and
// every seat claim is one conditional UPDATE inside a BEGIN IMMEDIATE transaction, so the seat
// invariants hold across processes exactly as they hold across requests. The clock-driven jobs
// and the mail worker run in every process: each is safe to run concurrently (idempotent jobs,
// leased mail).
//
// Metrics: each worker counts its own requests; a scrape, which reaches one worker, is answered
// with every worker's metrics, gathered here (server/metrics.ts).
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../runtime/logger.js';
import { serveClusterMetrics } from './metrics.js';

/** A worker that cannot listen says so before it exits; the primary then stops the cluster. */
export const LISTEN_FAILED = 'seatkeeper:listen-failed';
export interface ListenFailed {
  readonly type: typeof LISTEN_FAILED;
  readonly code: string | undefined;
  readonly message: string;
}

/** A worker that dies this soon after starting is crash-looping; give up instead of spinning. */
const EARLY_EXIT_MS = 5_000;
const MAX_EARLY_EXITS = 5;

export interface PrimaryOptions {
  readonly workers: number;
  readonly shutdownGraceMs: number;
  /** How long each worker keeps serving, not ready, after SIGTERM before it drains. */
  readonly shutdownDelayMs?: number;
  readonly logger: Logger;
}

/** Runs the primary: forks `workers`, replaces any that die, and stops them all on SIGTERM/SIGINT. */
export function runPrimary({ workers, shutdownGraceMs, shutdownDelayMs = 0, logger }: PrimaryOptions): void {
  let stopping = false;
  /** Set when the cluster stops because it cannot serve: the primary then exits with 1. */
  let failed = false;
  let earlyExits = 0;
  const startedAt = new Map<number, number>();

  function fork(): void {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
  }

  cluster.on('exit', (worker: Worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('every worker stopped');
        logger.flush();
        process.exit(failed ? 1 : 0);
      }
      return;
    }
    logger.error({ worker: worker.process.pid, code, signal }, 'worker exited; starting another');
    if (lived < EARLY_EXIT_MS && ++earlyExits >= MAX_EARLY_EXITS) {
      logger.fatal({ earlyExits }, 'workers keep dying at start-up; stopping');
      logger.flush();
      process.exit(1);
    }
    fork();
  });

  // Workers share the primary's listening socket, so when one cannot listen none can: starting
  // another would fail alike. The reason is logged once, and the whole cluster stops with status 1.
  cluster.on('message', (_worker, message: Partial<ListenFailed>) => {
    if (message?.type !== LISTEN_FAILED || stopping) return;
    failed = true;
    logger.fatal({ code: message.code }, String(message.message));
    stopWorkers();
  });

  function shutdown(signal: NodeJS.Signals): void {
    if (stopping) return;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping workers');
    stopWorkers();
  }

  function stopWorkers(): void {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    // Each worker drains within its own grace period; this only catches one that hangs.
    setTimeout(
      () => {
        logger.warn('workers did not stop in time; exiting');
        logger.flush();
        process.exit(1);
      },
      shutdownDelayMs + shutdownGraceMs + 5_000,
    ).unref();
  }
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  serveClusterMetrics(logger);
  logger.info({ workers }, 'starting workers');
  for (let i = 0; i < workers; i++) fork();
}
