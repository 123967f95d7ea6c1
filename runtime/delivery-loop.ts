// The run loop of a durable outbox worker (mail, webhooks): read what is due, attempt each item
// once per run, poll on a timer, run again at once when nudged, and stop only after the attempt in
// flight is recorded. What an attempt is (lease, send, record) is the caller's.

/** Each attempt's outcome; `skipped` means another worker had the item or it was no longer due. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'retried' | 'skipped';

export interface DeliveryRunResult {
  readonly delivered: number;
  /** Given up for good in this run. */
  readonly failed: number;
  /** Failed this time, scheduled again. */
  readonly retried: number;
}

/** The little of a logger the loop uses (pino's Logger fits). */
export interface LoopLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DeliveryLoopOptions {
  /** Ids due now, the longest due first (at most one batch). */
  readonly due: () => Promise<number[]>;
  /** One attempt at one item. A throw is logged and the item left for its lease to run out. */
  readonly attempt: (id: number) => Promise<DeliveryOutcome>;
  /** How often start() looks for due items; 0 polls never (nudge() and runOnce() still work). */
  readonly pollIntervalMs: number;
  readonly log: LoopLog;
  /** Names the worker in log lines: "mail", "webhook". */
  readonly name: string;
  /** Logged once at start(). */
  readonly startDetails?: object;
}

export interface DeliveryLoop {
  /** Attempts everything due now, one at a time, and says what happened. No timer needed. */
  runOnce(): Promise<DeliveryRunResult>;
  /** Polls every pollIntervalMs, and at once. */
  start(): void;
  /** Looks for due items now rather than at the next poll (after a commit that enqueued some). */
  nudge(): void;
  /** Stops polling and waits for the attempt in flight, if any, to finish and be recorded. */
  stop(): Promise<void>;
}

export function createDeliveryLoop(options: DeliveryLoopOptions): DeliveryLoop {
  const { due, attempt, pollIntervalMs, log, name } = options;
  let stopping = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  /** Every run in flight, whether the timer or a caller started it: stop() waits for them all. */
  const inflight = new Set<Promise<unknown>>();

  async function runAll(): Promise<DeliveryRunResult> {
    const counts = { delivered: 0, failed: 0, retried: 0 };
    const seen = new Set<number>();
    for (;;) {
      const ids = (await due()).filter((id) => !seen.has(id));
      if (ids.length === 0) break;
      for (const id of ids) {
        if (stopping) return counts;
        seen.add(id); // one attempt per item per run, however quickly a retry falls due
        let outcome: DeliveryOutcome;
        try {
          outcome = await attempt(id);
        } catch (error) {
          // The database refused a write (busy past its retries, closed): the item keeps its lease
          // and is tried again once that runs out.
          log.error({ id, err: error }, `${name} outbox could not be updated`);
          continue;
        }
        if (outcome !== 'skipped') counts[outcome] += 1;
      }
    }
    return counts;
  }

  function runOnce(): Promise<DeliveryRunResult> {
    const run = runAll();
    inflight.add(run);
    void run.finally(() => inflight.delete(run)).catch(() => undefined);
    return run;
  }

  function kick(): void {
    if (stopping || !started) return;
    if (running) {
      again = true; // the run in flight may have read the due list before the new item
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          const result = await runOnce();
          if (result.delivered + result.failed + result.retried > 0) log.info(result, `${name} sent`);
        } catch (error) {
          log.error({ err: error }, `${name} delivery run failed; it runs again at the next poll`);
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
      log.info(options.startDetails ?? {}, `${name} worker started`);
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
