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
import { afterFailure, retryDelayMs as backoffDelayMs, type Backoff } from '../domain/backoff.js';
import {
  createDeliveryLoop,
  type DeliveryLoop,
  type DeliveryOutcome,
  type DeliveryRunResult,
} from '../runtime/delivery-loop.js';
import type { Clock } from '../domain/clock.js';
import type { OutboxRow } from '../domain/records.js';
import type { Store } from '../db/port.js';
import type { Logger } from '../runtime/logger.js';
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
  readonly backoff?: Backoff;
  /** Source of jitter in [0, 1); tests fix it. */
  readonly random?: () => number;
  /** Told of every attempt's outcome, with the mail's kind (for metrics). */
  readonly onOutcome?: (kind: string, outcome: 'delivered' | 'retried' | 'failed') => void;
}

export type MailRunResult = DeliveryRunResult;

export type MailWorker = DeliveryLoop;

/** The mail outbox's backoff (domain/backoff.ts); `random` and `backoff` default to the real ones. */
export function retryDelayMs(
  attempts: number,
  random: () => number = Math.random,
  backoff: Backoff = MAIL_RETRY,
): number {
  return backoffDelayMs(attempts, random, backoff);
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

  /** One attempt at one row: lease, send, record. */
  async function attempt(id: number): Promise<DeliveryOutcome> {
    const leasedAt = clock.now();
    const lease = iso(leasedAt.plus({ milliseconds: leaseMs }));
    const row: OutboxRow | undefined = await store.write((q) => q.outbox.lease(id, iso(leasedAt), lease));
    if (!row) return 'skipped'; // another worker has it, or it is no longer due
    const context = { outboxId: row.id, kind: row.kind, attempt: row.attempts };
    try {
      await transport.send(row);
    } catch (error) {
      const now = clock.now();
      const why = describe(error);
      const then = afterFailure(row.attempts, {
        maxAttempts,
        permanent: isPermanentFailure(error),
        random,
        backoff,
      });
      if (then.giveUp) {
        await store.write((q) => q.outbox.markFailed(row.id, lease, iso(now), why));
        logger.error({ ...context, err: error }, 'mail given up; it stays in the outbox as failed');
        options.onOutcome?.(row.kind, 'failed');
        return 'failed';
      }
      const next = now.plus({ milliseconds: then.delayMs });
      await store.write((q) => q.outbox.markRetry(row.id, lease, iso(next), why));
      logger.warn({ ...context, err: error, nextAttemptAt: iso(next) }, 'mail not delivered; will retry');
      options.onOutcome?.(row.kind, 'retried');
      return 'retried';
    }
    // Accepted by the server. If this write is lost (crash, lease overtaken), the row is sent
    // again later with the same Message-ID: at least once, never zero times.
    const marked = await store.write((q) => q.outbox.markDelivered(row.id, lease, iso(clock.now())));
    if (!marked) logger.warn(context, 'mail delivered after its lease ran out; it may be delivered twice');
    logger.debug(context, 'mail delivered');
    options.onOutcome?.(row.kind, 'delivered');
    return 'delivered';
  }

  return createDeliveryLoop({
    due: () => store.read((q) => q.outbox.due(iso(clock.now()), batchSize)),
    attempt,
    pollIntervalMs,
    log: logger,
    name: 'mail',
    startDetails: { transport: transport.description },
  });
}
