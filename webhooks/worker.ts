// The webhook delivery worker: takes due deliveries, posts each signed event to its endpoint, logs
// the attempt, and records the outcome, retrying failures with capped exponential backoff.
//
// Delivery is at least once, in order per member and endpoint. A delivery is leased by one
// conditional UPDATE before it is posted, so two workers (in one process or in two sharing the
// database) never post it at once; it is posted outside any transaction (a slow receiver must not
// hold the write lock), then marked. If the process dies after the receiver answered but before the
// mark, the lease runs out and the delivery is posted again with the same event id, which is what
// receivers deduplicate by. A delivery is due only when the endpoint's earlier deliveries about the
// same member are finished, so a receiver never hears of a member's removal before its creation.
import type { DateTime } from 'luxon';
import { afterFailure, type Backoff } from '../domain/backoff.js';
import type { Clock } from '../domain/clock.js';
import { OutboundRefusedError } from '../domain/errors.js';
import { createDeliveryLoop, type DeliveryLoop, type DeliveryOutcome } from '../runtime/delivery-loop.js';
import type { Store } from '../db/port.js';
import type { Logger } from '../runtime/logger.js';
import { deliveryHeaders } from './signature.js';

export const WEBHOOK_RETRY = {
  /** The delay after the first failure, doubling with each further one… */
  baseMs: 30_000,
  /** …up to once an hour. */
  maxMs: 3_600_000,
  /** Attempts before a delivery is given up: about a day of retries, enough to ride out an outage. */
  maxAttempts: 30,
} as const;

/** How long a receiver may take to answer; a slower one counts as a failure and is retried. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export type WebhookOutcome = 'delivered' | 'retried' | 'failed';

export interface WebhookWorkerOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxAttempts?: number;
  /** How often start() looks for due deliveries; 0 polls never (nudge() and runOnce() still work). */
  readonly pollIntervalMs?: number;
  readonly timeoutMs?: number;
  readonly backoff?: Backoff;
  /** Source of jitter in [0, 1); tests fix it. */
  readonly random?: () => number;
  /** Told of every attempt's outcome (for metrics). */
  readonly onOutcome?: (outcome: WebhookOutcome) => void;
  /**
   * How a delivery is posted: the outbound guard's fetch (net/outbound.ts), which refuses loopback
   * and private receivers unless allowed and connects only to the address it checked.
   */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
}

export type WebhookWorker = DeliveryLoop;

const iso = (t: DateTime): string => t.toISO()!;

/** What the log keeps of a failed attempt: short, and never the body or a header. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 500);
  if (error instanceof OutboundRefusedError) return `refused: ${error.message}`.slice(0, 500);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = cause && typeof cause.code === 'string' ? `${cause.code} ` : '';
  return `${detail}${error.name === 'TimeoutError' ? 'no answer in time' : error.message}`.slice(0, 500);
}

export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { store, clock, logger } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? WEBHOOK_RETRY.maxAttempts);
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const backoff = options.backoff ?? WEBHOOK_RETRY;
  const random = options.random ?? Math.random;
  // The lease outlasts the longest attempt the timeout allows, with room to spare.
  const leaseMs = 2 * timeoutMs + 5_000;

  /** One POST: the receiver's status, or the reason there was none. */
  async function post(
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number | null; error: string | null }> {
    try {
      const res = await options.fetch(url, {
        method: 'POST',
        headers,
        body,
        // A redirect is not followed (nor could it be: the guard follows none): the signed body goes
        // only where the owner said, and never to an address the guard did not check.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is not needed; reading it frees the connection. Bounded by the timeout.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { status: res.status, error: null };
      const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
      return { status: res.status, error: `answered HTTP ${res.status}${redirect}` };
    } catch (error) {
      return { status: null, error: describe(error) };
    }
  }

  async function attempt(id: number): Promise<DeliveryOutcome> {
    const leasedAt = clock.now();
    const lease = iso(leasedAt.plus({ milliseconds: leaseMs }));
    const delivery = await store.write((q) => q.webhooks.lease(id, iso(leasedAt), lease));
    if (!delivery) return 'skipped'; // another worker has it, it waits its turn, or it is not due
    const context = { deliveryId: delivery.id, eventId: delivery.eventPublicId, attempt: delivery.attempts };
    const timestamp = Math.floor(clock.now().toMillis() / 1000);
    const started = Date.now();
    const { status, error } = await post(
      delivery.url,
      {
        'content-type': 'application/json',
        'user-agent': 'Seatkeeper-Webhooks/1',
        ...deliveryHeaders({
          secret: delivery.secret,
          previousSecret: delivery.previousSecret,
          eventId: delivery.eventPublicId,
          eventType: delivery.eventType,
          deliveryId: delivery.id,
          timestamp,
          body: delivery.body,
        }),
      },
      delivery.body,
    );
    const now = clock.now();
    const durationMs = Math.max(0, Date.now() - started);
    return await store.write(async (q) => {
      await q.webhooks.recordAttempt({
        deliveryId: delivery.id,
        startedAt: iso(leasedAt),
        durationMs,
        status,
        error,
      });
      if (error === null) {
        // If this mark is lost (crash, lease overtaken), the event is posted again with the same
        // id: at least once, never zero times.
        if (!(await q.webhooks.markDelivered(delivery.id, lease, iso(now), status!))) {
          logger.warn(context, 'webhook delivered after its lease ran out; it may arrive twice');
        }
        options.onOutcome?.('delivered');
        return 'delivered';
      }
      const then = afterFailure(delivery.attempts, { maxAttempts, random, backoff });
      if (then.giveUp) {
        await q.webhooks.markFailed(delivery.id, lease, iso(now), status, error);
        logger.error({ ...context, status, error }, 'webhook given up; it stays in the delivery log');
        options.onOutcome?.('failed');
        return 'failed';
      }
      const next = now.plus({ milliseconds: then.delayMs });
      await q.webhooks.markRetry(delivery.id, lease, iso(next), status, error);
      logger.warn(
        { ...context, status, error, nextAttemptAt: iso(next) },
        'webhook not delivered; will retry',
      );
      options.onOutcome?.('retried');
      return 'retried';
    });
  }

  return createDeliveryLoop({
    due: () => store.read((q) => q.webhooks.due(iso(clock.now()), 50)),
    attempt,
    pollIntervalMs: options.pollIntervalMs ?? 5_000,
    log: logger,
    name: 'webhook',
  });
}
