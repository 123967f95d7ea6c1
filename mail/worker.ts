// The delivery worker: takes due outbox rows, sends each through the transport, and records the
// outcome, retrying failures with capped exponential backoff.
//
// Delivery is at least once. A row is leased by one conditional UPDATE before it is sent, so two
// workers (in one process or in two sharing the database) never send a row at the same time; it
// is sent outside any transaction (a slow SMTP server must not hold the write lock), then marked
// delivered. If the process dies after the SMTP server accepted the message but before the row was
// marked, the lease runs out and the row is sent again, with the same Message-ID (RFC 5322
// §3.6.4), so the receiver can recognise the repeat. Nothing is lost: a row stays until it is
// delivered or given up, and a given-up row is kept with its last error.
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock.js';
import type { OutboxRow } from '../db/queries/outbox.js';
import type { Store } from '../db/store.js';
import type { Logger } from '../server/logger.js';
import { isPermanentFailure, SMTP_TIMEOUTS_MS, type MailTransport } from './transport.js';

/** Retry timing (RFC 5321 §4.5.4.1 asks senders to back off rather than retry at once). */
export const MAIL_RETRY = {
  /** The delay after the first failed attempt; it doubles with each further failure… */
  baseMs: 30_000,
  /** …up to once an hour. */
  maxMs: 3_600_000,
  /** Attempts before a mail is given up, unless configured. */
  maxAttempts: 20,
} as const;

/** A lease outlasts the longest SMTP conversation the transport allows, with room to spare. */
const DEFAULT_LEASE_MS =
  2 * (SMTP_TIMEOUTS_MS.connection + SMTP_TIMEOUTS_MS.greeting + SMTP_TIMEOUTS_MS.socket);

export interface MailWorkerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly transport: MailTransport;
  readonly logger: Logger;
  /** Attempts before a mail is marked failed (default 20). */
  readonly maxAttempts?: number;
  /** How often start() looks for due mail; 0 polls never (nudge() and runOnce() still work). */
  readonly pollIntervalMs?: number;
  /** How long one attempt may take before another worker may take the row over. */
  readonly leaseMs?: number;
  /** Rows read per due query. */
  readonly batchSize?: number;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Source of jitter in [0, 1); tests fix it. */
  readonly random?: () => number;
  /** Told of every attempt's outcome, with the mail's kind (for metrics). */
  readonly onOutcome?: (kind: string, outcome: 'delivered' | 'retried' | 'failed') => void;
}

export interface MailRunResult {
  readonly delivered: number;
  /** Given up for good in this run. */
  readonly failed: number;
  /** Failed this time, scheduled again. */
  readonly retried: number;
}

export interface MailWorker {
  /** Delivers every mail due now, one at a time, and says what happened. No timer needed. */
  runOnce(): Promise<MailRunResult>;
  /** Polls every pollIntervalMs, and at once. */
  start(): void;
  /** Looks for due mail now rather than at the next poll (after a commit that enqueued some). */
  nudge(): void;
  /** Stops polling and waits for the delivery in flight, if any, to finish and be recorded. */
  stop(): Promise<void>;
}

/**
 * The delay before attempt `attempts + 1`, after `attempts` failures: base × 2^(attempts−1),
 * capped, with "equal jitter" (a random point in its upper half) so that mail refused during one
 * outage does not come back all at once.
 */
export function retryDelayMs(
  attempts: number,
  random: () => number = Math.random,
  backoff: { readonly baseMs: number; readonly maxMs: number } = MAIL_RETRY,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent);
  return Math.round(delay / 2 + random() * (delay / 2));
}

const iso = (t: DateTime): string => t.toISO()!;

/** What the outbox keeps of an error: its code and message, short. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 1000);
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  const prefix = [code, responseCode].filter((x) => typeof x === 'string' || typeof x === 'number');
  return [...prefix, error.message].join(' ').slice(0, 1000);
}

export function createMailWorker(options: MailWorkerOptions): MailWorker {
  const { store, clock, transport, logger } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? MAIL_RETRY.maxAttempts);
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = Math.max(1, options.batchSize ?? 50);
  const backoff = options.backoff ?? MAIL_RETRY;
  const random = options.random ?? Math.random;

  let stopping = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  /** Every run in flight, whether the timer or a caller started it: stop() waits for them all. */
  const inflight = new Set<Promise<unknown>>();

  type Outcome = 'delivered' | 'failed' | 'retried' | 'skipped';

  /** One attempt at one row: lease, send, record. */
  async function attempt(id: number): Promise<Outcome> {
    const leasedAt = clock.now();
    const lease = iso(leasedAt.plus({ milliseconds: leaseMs }));
    const row: OutboxRow | undefined = store.write((q) => q.outbox.lease(id, iso(leasedAt), lease));
    if (!row) return 'skipped'; // another worker has it, or it is no longer due
    const context = { outboxId: row.id, kind: row.kind, attempt: row.attempts };
    try {
      await transport.send(row);
    } catch (error) {
      const now = clock.now();
      const why = describe(error);
      if (isPermanentFailure(error) || row.attempts >= maxAttempts) {
        store.write((q) => q.outbox.markFailed(row.id, lease, iso(now), why));
        logger.error({ ...context, err: error }, 'mail given up; it stays in the outbox as failed');
        options.onOutcome?.(row.kind, 'failed');
        return 'failed';
      }
      const next = now.plus({ milliseconds: retryDelayMs(row.attempts, random, backoff) });
      store.write((q) => q.outbox.markRetry(row.id, lease, iso(next), why));
      logger.warn({ ...context, err: error, nextAttemptAt: iso(next) }, 'mail not delivered; will retry');
      options.onOutcome?.(row.kind, 'retried');
      return 'retried';
    }
    // Accepted by the server. If this write is lost (crash, lease overtaken), the row is sent
    // again later with the same Message-ID: at least once, never zero times.
    const marked = store.write((q) => q.outbox.markDelivered(row.id, lease, iso(clock.now())));
    if (!marked) logger.warn(context, 'mail delivered after its lease ran out; it may be delivered twice');
    logger.debug(context, 'mail delivered');
    options.onOutcome?.(row.kind, 'delivered');
    return 'delivered';
  }

  function runOnce(): Promise<MailRunResult> {
    const run = runAll();
    inflight.add(run);
    void run.finally(() => inflight.delete(run)).catch(() => undefined);
    return run;
  }

  async function runAll(): Promise<MailRunResult> {
    const counts = { delivered: 0, failed: 0, retried: 0 };
    const seen = new Set<number>();
    for (;;) {
      const due = store.read((q) => q.outbox.due(iso(clock.now()), batchSize)).filter((id) => !seen.has(id));
      if (due.length === 0) break;
      for (const id of due) {
        if (stopping) return counts;
        seen.add(id); // one attempt per row per run, however quickly a retry falls due
        let outcome: Outcome;
        try {
          outcome = await attempt(id);
        } catch (error) {
          // The database refused a write (busy past its retries, closed): the row keeps its lease
          // and is tried again once that runs out.
          logger.error({ outboxId: id, err: error }, 'mail outbox could not be updated');
          continue;
        }
        if (outcome !== 'skipped') counts[outcome] += 1;
      }
    }
    return counts;
  }

  function kick(): void {
    if (stopping || !started) return;
    if (running) {
      again = true; // the run in flight may have read the due list before the new mail
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          const result = await runOnce();
          if (result.delivered + result.failed + result.retried > 0) logger.info(result, 'mail sent');
        } catch (error) {
          logger.error({ err: error }, 'mail delivery run failed; it runs again at the next poll');
        }
      } while (again && !stopping);
    })().finally(() => {
      running = undefined;
    });
  }

  return {
    runOnce,
    start() {
      if (started || stopping) return;
      started = true;
      logger.info({ transport: transport.description }, 'mail worker started');
      if (pollIntervalMs > 0) {
        timer = setInterval(kick, pollIntervalMs);
        timer.unref();
      }
      kick();
    },
    nudge: kick,
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([running, ...inflight]);
    },
  };
}
