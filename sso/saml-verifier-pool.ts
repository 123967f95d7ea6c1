// SAML responses verified in a small pool of worker threads. Verifying a response (two XML
// signatures, each with its canonicalisation, digest and the library's whole-document lookups) is
// nearly all of a SAML sign-in's CPU, pure, and needs no storage: in workers it runs on every core,
// and the event loop stays free for requests and for the sign-in's transaction, which stays on the
// main thread (the database connection is not shared across threads).
//
// Each worker verifies one response at a time, with the next one already handed to it; the rest wait
// here, in order. Workers start on first use (or `warm()`), are stopped after a while idle, and never
// keep the process alive while idle. A worker that dies (a crash, its memory limit) fails only the
// responses it held, and the next response starts a new one; so does a worker that stops answering.
// When too many responses are waiting, new ones are refused at once (sso_busy, 503) instead of
// queueing without bound.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/worker-thread.js';
import type { DateTime } from 'luxon';
import { SsoError, type SsoErrorCode } from './errors.js';
import type { SamlConnectionConfig, SamlVerifier, VerifiedSamlResponse } from './saml.js';

export interface SamlVerifierPoolOptions {
  /** Worker threads; default one per core the process may use (os.availableParallelism()). */
  readonly size?: number;
  /**
   * Responses that may wait for a worker; beyond, new ones are refused (sso_busy). Default 256 per
   * worker: at about 12 ms a response, a full queue is some 3 s of work.
   */
  readonly maxQueued?: number;
  /** A worker idle this long is stopped, and started again when needed. Default 5 minutes. */
  readonly idleMs?: number;
  /** A worker with work that has not answered for this long is stopped, failing what it held. Default 10 s. */
  readonly timeoutMs?: number;
  /** Old-generation heap limit per worker, MB; reaching it stops that worker. Default 256. */
  readonly maxHeapMb?: number;
  /**
   * The SAML libraries' speed-ups (saml-speedups.ts) in the workers. Default on; off runs the
   * libraries' own code, for comparisons: the verdicts are the same either way.
   */
  readonly speedups?: boolean;
  /**
   * The direct verification on one parsed document (saml-direct.ts) in the workers. Default on;
   * off sends every response through node-saml, for comparisons: the verdicts are the same.
   */
  readonly direct?: boolean;
}

/** What each worker is started with. */
export interface VerifierWorkerData {
  readonly speedups: boolean;
  readonly direct: boolean;
}

export interface SamlVerifierPool extends SamlVerifier {
  /** Starts the workers now rather than at the first response (a sign-in has just started). */
  warm(): void;
  /** Worker threads running now. */
  readonly threads: number;
  /** Stops every worker; responses waiting or being verified fail, and so does any later verify. */
  close(): Promise<void>;
}

/** Main thread → worker. */
export interface VerifyRequest {
  readonly id: number;
  readonly config: SamlConnectionConfig;
  readonly samlResponse: string;
  readonly nowMs: number;
}

/** Worker → main thread: the verdict, a rule that broke (SsoError), or a failure of ours. */
export type VerifyReply =
  | { readonly id: number; readonly ok: true; readonly verified: VerifiedSamlResponse }
  | { readonly id: number; readonly ok: false; readonly code: SsoErrorCode; readonly cause: string | null }
  | { readonly id: number; readonly ok: false; readonly error: string };

const DEFAULTS = {
  queuedPerWorker: 256,
  idleMs: 5 * 60_000,
  timeoutMs: 10_000,
  maxHeapMb: 256,
} as const;

/**
 * Responses sent to one worker at a time: the one it is checking and the next. The worker checks
 * them one after the other; the second is there so that it never waits for this thread (busy with
 * a commit, say) to hand it more work. A crash fails both.
 */
const PER_WORKER = 2;

interface Job {
  readonly request: VerifyRequest;
  readonly resolve: (verified: VerifiedSamlResponse) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  /** Sent to the worker and not yet answered, in the order sent. */
  readonly jobs: Job[];
  /** Why the worker failed, when it did (its 'error' event comes before 'exit'). */
  failure: string | null;
  idleTimer: NodeJS.Timeout | undefined;
  /** Runs while the worker has work: fires when it has not answered for timeoutMs. */
  answerTimer: NodeJS.Timeout | undefined;
}

export function createSamlVerifierPool(options: SamlVerifierPoolOptions = {}): SamlVerifierPool {
  const size = Math.max(1, Math.trunc(options.size ?? availableParallelism()));
  const maxQueued = Math.max(0, Math.trunc(options.maxQueued ?? DEFAULTS.queuedPerWorker * size));
  const idleMs = options.idleMs ?? DEFAULTS.idleMs;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxHeapMb = options.maxHeapMb ?? DEFAULTS.maxHeapMb;
  const workerData: VerifierWorkerData = {
    speedups: options.speedups ?? true,
    direct: options.direct ?? true,
  };

  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const worker = startWorker(import.meta.url, 'saml-verifier-worker', {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    });
    const slot: Slot = { worker, jobs: [], failure: null, idleTimer: undefined, answerTimer: undefined };
    worker.on('message', (reply: VerifyReply) => settle(slot, reply));
    worker.on('error', (error) => {
      slot.failure = error.message;
    });
    worker.on('exit', (code) => {
      remove(slot);
      const reason = slot.failure ?? `exit code ${code}`;
      failJobs(slot, new Error(`The SAML verification worker stopped (${reason}).`));
      if (!closed) pump();
    });
    slots.push(slot);
    return slot;
  }

  /** Takes the worker out of the pool (it gets no more work); its jobs are the caller's to settle. */
  function remove(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    clearTimeout(slot.answerTimer);
    const at = slots.indexOf(slot);
    if (at >= 0) slots.splice(at, 1);
  }

  function stop(slot: Slot, error: Error): void {
    remove(slot);
    failJobs(slot, error);
    void slot.worker.terminate();
  }

  function failJobs(slot: Slot, error: Error): void {
    for (const job of slot.jobs.splice(0)) job.reject(error);
  }

  /**
   * Hands waiting responses to workers: an idle one first, then a new one (up to `size`), then one
   * with room for a next response.
   */
  function pump(): void {
    while (queue.length > 0) {
      const slot =
        slots.find((s) => s.jobs.length === 0) ??
        (slots.length < size ? spawn() : slots.find((s) => s.jobs.length < PER_WORKER));
      if (!slot) return;
      dispatch(slot, queue.shift()!);
    }
  }

  function dispatch(slot: Slot, job: Job): void {
    if (slot.jobs.length === 0) {
      clearTimeout(slot.idleTimer);
      // Busy, the worker keeps the process alive: someone awaits its answer.
      slot.worker.ref();
      armAnswerTimer(slot);
    }
    slot.jobs.push(job);
    slot.worker.postMessage(job.request);
  }

  function armAnswerTimer(slot: Slot): void {
    clearTimeout(slot.answerTimer);
    slot.answerTimer = setTimeout(
      () =>
        stop(slot, new Error(`SAML verification took longer than ${timeoutMs} ms; its worker was stopped.`)),
      timeoutMs,
    );
  }

  function settle(slot: Slot, reply: VerifyReply): void {
    const at = slot.jobs.findIndex((j) => j.request.id === reply.id);
    if (at < 0) return;
    const [job] = slot.jobs.splice(at, 1) as [Job];
    if (reply.ok) job.resolve(reply.verified);
    else if ('code' in reply) {
      job.reject(
        new SsoError(reply.code, {
          ...(reply.cause === null ? {} : { cause: new Error(reply.cause) }),
          details: { connectionId: job.request.config.connectionId },
        }),
      );
    } else job.reject(new Error(`SAML verification failed in its worker: ${reply.error}`));
    pump();
    if (slot.jobs.length > 0) {
      armAnswerTimer(slot);
      return;
    }
    clearTimeout(slot.answerTimer);
    idle(slot);
  }

  /** An idle worker no longer keeps the process alive, and stops after idleMs. */
  function idle(slot: Slot): void {
    slot.worker.unref();
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      remove(slot);
      void slot.worker.terminate();
    }, idleMs);
    slot.idleTimer.unref();
  }

  return {
    verify(config: SamlConnectionConfig, samlResponse: string, now: DateTime): Promise<VerifiedSamlResponse> {
      if (closed) return Promise.reject(new Error('The SAML verifier pool is closed.'));
      const room = slots.length < size || slots.some((s) => s.jobs.length < PER_WORKER);
      if (!room && queue.length >= maxQueued) {
        return Promise.reject(new SsoError('sso_busy', { details: { connectionId: config.connectionId } }));
      }
      return new Promise<VerifiedSamlResponse>((resolve, reject) => {
        queue.push({
          request: { id: nextId++, config, samlResponse, nowMs: now.toMillis() },
          resolve,
          reject,
        });
        pump();
      });
    },

    warm(): void {
      if (closed) return;
      while (slots.length < size) idle(spawn());
    },

    get threads(): number {
      return slots.length;
    },

    async close(): Promise<void> {
      closed = true;
      const stopped = new Error('The SAML verifier pool is closed.');
      for (const job of queue.splice(0)) job.reject(stopped);
      const running = slots.splice(0);
      for (const slot of running) {
        clearTimeout(slot.idleTimer);
        clearTimeout(slot.answerTimer);
        failJobs(slot, stopped);
      }
      await Promise.all(running.map((slot) => slot.worker.terminate()));
    },
  };
}
