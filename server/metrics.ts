// Prometheus metrics: one registry per container (never prom-client's global one), the counters
// the edges and services increment, the gauges read from the database at scrape time, and the
// cluster plumbing that lets one worker answer /metrics for all of them.
//
// Services stay free of metrics: the few that have something to count (invitations, sign-ins,
// rejections, deliveries, busy retries) tell an observer passed to them once their change is made,
// and the container connects that observer to these counters; the HTTP app observes requests at
// its edge.
import cluster from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../domain/clock.js';
import type { DatabaseStats, OutboxTotals, SeatTotals } from '../db/port.js';
import type { InvitationEvent } from '../seats/seat-pool.js';
import { availableSeats } from '../seats/usage.js';
import type { Logger } from '../runtime/logger.js';

export interface MetricsOptions {
  readonly stats: DatabaseStats;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Label the seat gauges with the organisation (default). Their series grow with the number of
   * organisations (tiers × 3 + 2 per organisation); false sums them over organisations instead.
   */
  readonly perOrganisation?: boolean;
  /**
   * How long a scrape waits for the database gauges before it answers without them (default 5 s,
   * half of Prometheus's default scrape timeout): a database that does not answer never holds it.
   */
  readonly statsTimeoutMs?: number;
}

export type MailOutcome = 'delivered' | 'retried' | 'failed';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics({
  stats,
  clock,
  logger,
  perOrganisation = true,
  statsTimeoutMs = 5000,
}: MetricsOptions) {
  const registry = new Registry();
  const registers = [registry];

  const httpRequests = new Counter({
    name: 'seatkeeper_http_requests_total',
    help: 'HTTP requests answered, by matched route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'seatkeeper_http_request_duration_seconds',
    help: 'Time from the request to the end of its response, by matched route pattern and method.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const scimOperations = new Counter({
    name: 'seatkeeper_scim_operations_total',
    help: 'SCIM requests by operation (create_user, patch_group, …) and outcome (success, refused, …).',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const signIns = new Counter({
    name: 'seatkeeper_sign_ins_total',
    help: 'Single sign-ons that let the person in, by outcome; "created" is a just-in-time account.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const signInRefusals = new Counter({
    name: 'seatkeeper_sign_in_refusals_total',
    help: 'Single sign-ons refused, by the stable code shown to the person (no_seats, saml_signature_invalid, …).',
    labelNames: ['reason'] as const,
    registers,
  });
  const invitations = new Counter({
    name: 'seatkeeper_invitations_total',
    help: 'Invitations by event: sent (a seat held and the mail enqueued), accepted, expired, revoked.',
    labelNames: ['event'] as const,
    registers,
  });
  const mailDeliveries = new Counter({
    name: 'seatkeeper_mail_deliveries_total',
    help: 'Mail delivery attempts by kind and outcome: delivered, retried (failed, tried again later), failed (given up).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'seatkeeper_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retried (failed, tried again later), failed (given up).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const busyRetries = new Counter({
    name: 'seatkeeper_db_busy_retries_total',
    help: 'Write transactions retried because another process held the database lock past the busy timeout.',
    registers,
  });
  const collectErrors = new Counter({
    name: 'seatkeeper_metrics_collect_errors_total',
    help: 'Scrapes whose database gauges could not be read (they are left out of that scrape).',
    registers,
  });

  // Gauges read from the database when scraped. Every process of a cluster reads the same file, so
  // aggregating them across workers takes one worker's value, not the sum.
  const seatLabels = perOrganisation ? (['organisation', 'tier'] as const) : (['tier'] as const);
  const waitingLabels = perOrganisation ? (['organisation', 'reason'] as const) : (['reason'] as const);
  const gauge = (name: string, help: string, labelNames: readonly string[]) =>
    new Gauge({ name, help, labelNames, registers, aggregator: 'first', collect: () => collect() });
  const seatGauges = {
    allocation: gauge('seatkeeper_seats_allocation', 'Seats bought, per tier.', seatLabels),
    held: gauge(
      'seatkeeper_seats_held',
      'Seats held by seated members and pending invitations, per tier.',
      seatLabels,
    ),
    available: gauge('seatkeeper_seats_available', 'Seats free to claim, per tier.', seatLabels),
  };
  const waiting = gauge(
    'seatkeeper_seats_waiting',
    'People who want a seat and have none: awaiting_seat (kept by the hold policy) and refused (on the waiting list).',
    waitingLabels,
  );
  /** Depth, retrying and oldest age of a durable outbox (mail, webhook deliveries). */
  const outboxGaugesFor = (prefix: string, what: string) => ({
    pending: gauge(`${prefix}_pending`, `${what} neither delivered nor given up.`, []),
    retrying: gauge(`${prefix}_retrying`, `Pending ${what.toLowerCase()} whose last attempt failed.`, []),
    oldest: gauge(
      `${prefix}_oldest_pending_seconds`,
      `Age of the oldest pending ${what.toLowerCase()} (0 when none is pending).`,
      [],
    ),
  });
  const outboxGauges = outboxGaugesFor('seatkeeper_mail_outbox', 'Mail');
  const webhookGauges = outboxGaugesFor('seatkeeper_webhook_outbox', 'Webhook deliveries');

  // prom-client calls every metric's collect() in one synchronous pass per scrape and awaits them
  // together: the first call starts one read of the database for all of them, the others wait on
  // the same read, and it is forgotten once it settles, so the next scrape reads afresh. Every gauge
  // is set from that one snapshot before any of them is reported.
  let collecting: Promise<void> | undefined;
  function collect(): Promise<void> {
    collecting ??= readSnapshot()
      .then(show)
      .finally(() => (collecting = undefined));
    return collecting;
  }

  type Snapshot = { seats: SeatTotals[]; outbox: OutboxTotals; webhooks: OutboxTotals };
  /** The database's gauges, or null when they could not be read in time: never a rejection. */
  async function readSnapshot(): Promise<Snapshot | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the database did not answer within ${statsTimeoutMs} ms`)),
        statsTimeoutMs,
      );
    });
    try {
      // A read that loses the race still settles later; race() has already handled its outcome.
      const [seats, outbox, webhooks] = await Promise.race([
        Promise.all([stats.seats(), stats.outbox(), stats.webhooks()]),
        late,
      ]);
      return { seats, outbox, webhooks };
    } catch (error) {
      collectErrors.inc();
      logger.warn({ err: error }, 'metrics: the database gauges could not be read');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  function show(snapshot: Snapshot | null): void {
    const all = [seatGauges, { waiting }, outboxGauges, webhookGauges].flatMap((set) => Object.values(set));
    for (const g of all) g.reset();
    if (snapshot === null) return;
    const seen = new Set<string>();
    for (const row of snapshot.seats) {
      const labels = perOrganisation
        ? { organisation: row.organisation, tier: row.tier }
        : { tier: row.tier };
      seatGauges.allocation.inc(labels, row.allocation);
      seatGauges.held.inc(labels, row.held);
      seatGauges.available.inc(labels, availableSeats(row));
      if (seen.has(row.organisation)) continue; // the waiting counts repeat on each tier's row
      seen.add(row.organisation);
      for (const reason of ['awaiting_seat', 'refused'] as const) {
        const count = reason === 'awaiting_seat' ? row.awaiting : row.refused;
        waiting.inc(perOrganisation ? { organisation: row.organisation, reason } : { reason }, count);
      }
    }
    setOutbox(outboxGauges, snapshot.outbox);
    setOutbox(webhookGauges, snapshot.webhooks);
  }

  function setOutbox(gauges: ReturnType<typeof outboxGaugesFor>, totals: OutboxTotals): void {
    gauges.pending.set(totals.pending);
    gauges.retrying.set(totals.retrying);
    const oldest = totals.oldestPendingAt;
    const age = oldest === null ? 0 : clock.now().toMillis() - Date.parse(oldest);
    gauges.oldest.set(Math.max(0, age / 1000));
  }

  let processMetrics = false;

  return {
    registry,
    /** One answered HTTP request; `route` is the matched pattern, never the raw path. */
    observeRequest(route: string, method: string, status: number, seconds: number): void {
      httpRequests.inc({ route, method, status: String(status) });
      httpDuration.observe({ route, method }, seconds);
    },
    /** One SCIM request: its operation (scimOperation) and the outcome its status means. */
    observeScim(operation: string, status: number): void {
      scimOperations.inc({ operation, outcome: scimOutcome(status) });
    },
    signedIn(outcome: string): void {
      signIns.inc({ outcome });
    },
    signInRefused(reason: string): void {
      signInRefusals.inc({ reason });
    },
    invitation(event: InvitationEvent, count = 1): void {
      if (count > 0) invitations.inc({ event }, count);
    },
    mailDelivery(kind: string, outcome: MailOutcome): void {
      mailDeliveries.inc({ kind, outcome });
    },
    webhookDelivery(outcome: 'delivered' | 'retried' | 'failed'): void {
      webhookDeliveries.inc({ outcome });
    },
    busyRetry(): void {
      busyRetries.inc();
    },
    /**
     * Adds the process's own metrics (CPU, memory, event-loop delay, …). Once per process, by the
     * server: each call starts timers and observers that live as long as the process.
     */
    collectProcessMetrics(): void {
      if (processMetrics) return;
      processMetrics = true;
      collectDefaultMetrics({ register: registry });
    },
  };
}

/**
 * The SCIM operation a request asks for, from its method and its path below /scim/v2 (RFC 7644 §3),
 * case-insensitively as the router matches. A fixed set of names, whatever the path holds.
 */
export function scimOperation(method: string, path: string): string {
  const p = path.replace(/\/+$/, '');
  const resource = /^\/(users|groups)(\/\.search|\/[^/]+)?$/i.exec(p);
  if (resource) {
    const noun = resource[1]!.toLowerCase() === 'users' ? 'user' : 'group';
    const rest = resource[2];
    if (rest === undefined) {
      if (method === 'GET') return `list_${noun}s`;
      if (method === 'POST') return `create_${noun}`;
    } else if (rest.toLowerCase() === '/.search') {
      if (method === 'POST') return `search_${noun}s`;
    } else {
      const verbs: Readonly<Record<string, string>> = {
        GET: 'get',
        PUT: 'replace',
        PATCH: 'patch',
        DELETE: 'delete',
      };
      if (verbs[method]) return `${verbs[method]}_${noun}`;
    }
    return 'other';
  }
  if (/^\/\.search$/i.test(p) && method === 'POST') return 'search';
  if (/^\/(serviceproviderconfig|resourcetypes(\/[^/]+)?|schemas(\/[^/]+)?)$/i.test(p) && method === 'GET') {
    return 'discovery';
  }
  return 'other';
}

/** What a SCIM status means for the operation (RFC 7644 §3.12); 403 is a refusal: no seat, or not allowed. */
export function scimOutcome(status: number): string {
  if (status < 400) return 'success';
  const outcomes: Readonly<Record<number, string>> = {
    400: 'invalid',
    401: 'unauthorized',
    403: 'refused',
    404: 'not_found',
    409: 'conflict',
    412: 'precondition_failed',
    413: 'too_large',
    429: 'rate_limited',
  };
  return outcomes[status] ?? (status >= 500 ? 'error' : 'invalid');
}

// --- Cluster mode --------------------------------------------------------------------------------
//
// Workers share one port, so a scrape reaches one worker at random. That worker asks the primary,
// which gathers every worker's registry over the cluster channel (prom-client's AggregatorRegistry)
// and answers with the sum: counters and histograms add up, the database gauges take one value.

const ASK = 'seatkeeper:metrics-request';
const ANSWER = 'seatkeeper:metrics-answer';

interface Ask {
  readonly type: typeof ASK;
  readonly id: number;
}
interface Answer {
  readonly type: typeof ANSWER;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** In the primary: answers every worker's request for the whole cluster's metrics. */
export function serveClusterMetrics(logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: Partial<Ask>) => {
    if (message?.type !== ASK || typeof message.id !== 'number') return;
    const id = message.id;
    // With a callback, a worker gone meanwhile is an error here, not an 'error' event that would
    // bring the primary down.
    const answer = (reply: Answer) => {
      if (worker.isConnected()) worker.send(reply, undefined, undefined, () => undefined);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ type: ANSWER, id, text }),
      (error: unknown) => {
        logger.warn({ err: error }, 'metrics: a worker did not answer');
        answer({ type: ANSWER, id, error: String(error) });
      },
    );
  });
}

/**
 * In a worker: offers this registry to the primary's aggregation, and returns what /metrics serves:
 * the metrics of every worker, asked of the primary.
 */
export function clusterMetricsText(registry: Registry, timeoutMs = 10_000): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's answer to the primary's requests
  let next = 0;
  const waiting = new Map<number, (answer: Answer) => void>();
  process.on('message', (message: Partial<Answer>) => {
    if (message?.type === ANSWER && typeof message.id === 'number')
      waiting.get(message.id)?.(message as Answer);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the cluster primary did not answer with the metrics in time'));
      }, timeoutMs);
      const settle = (answer: Answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.text !== undefined) resolve(answer.text);
        else reject(new Error(answer.error ?? 'no metrics'));
      };
      waiting.set(id, settle);
      const ask: Ask = { type: ASK, id };
      if (!process.send) settle({ type: ANSWER, id, error: 'not a cluster worker' });
      else
        process.send(ask, undefined, undefined, (error: Error | null) => {
          if (error) settle({ type: ANSWER, id, error: error.message });
        });
    });
}
