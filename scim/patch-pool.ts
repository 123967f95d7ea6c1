// User PATCHes are applied on threads of their own (scim/patch-worker.ts), never on the event loop
// that every organisation's requests share. scimmy applies each operation to the whole user in
// memory: a PATCH of MAX_USER_PATCH_OPERATIONS value-filtered operations on a user at
// MAX_USER_BYTES is a few hundred milliseconds of CPU, which on the main thread (even cut in
// slices) delays every other organisation's lookups by tens of milliseconds.
//
// The main thread still reads the user and writes the result (one transaction, with the seat
// rules, in provisioning/directory.ts); a thread only turns (user, operations) into the patched
// user, or a SCIM error.
//
// Fairness: each organisation has a queue of its own and at most one PATCH running at a time;
// an idle thread takes the next PATCH of the organisations in turn (round-robin), so one
// organisation sending PATCHes at the limits as fast as it can holds one thread, and another
// organisation's PATCH waits for at most the one running, not for the whole backlog.
//
// One pool per process, started at the first PATCH. Idle threads are unref'd, so they never keep
// the process alive; a thread that dies fails the PATCH it held, and the next PATCH starts a new one.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/worker-thread.js';
import { ScimError, type ScimType } from './errors.js';
import type { PatchOperation } from './normalise.js';

type Json = Record<string, unknown>;

/** Main thread → worker. */
export interface PatchRequest {
  readonly id: number;
  readonly current: Json;
  readonly operations: readonly PatchOperation[];
}

/** Worker → main thread: the patched user, or the error (a ScimError is rebuilt as one). */
export type PatchReply =
  | { readonly id: number; readonly ok: true; readonly result: Json }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error:
        | {
            readonly scim: true;
            readonly status: number;
            readonly scimType: ScimType | undefined;
            readonly detail: string;
          }
        | { readonly scim: false; readonly message: string };
    };

export interface PatchPool {
  /** `operations` applied to `current` (scim/normalise.ts applyUserPatch), on a pool thread. */
  apply(organisationId: number, current: Json, operations: readonly PatchOperation[]): Promise<Json>;
  /** PATCHes of `organisationId` queued or running (for tests and metrics). */
  pending(organisationId: number): number;
  /** Stops the threads; PATCHes still waiting fail. */
  close(): Promise<void>;
}

interface Job {
  readonly organisationId: number;
  readonly request: PatchRequest;
  readonly resolve: (result: Json) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

/**
 * Two threads: one organisation's PATCHes use at most one, so another organisation's PATCH finds
 * the other free, and the two cores of a small server are not both taken by PATCHes.
 */
const THREADS = 2;

export function createPatchPool(threads = THREADS): PatchPool {
  const slots: Slot[] = [];
  /** Waiting PATCHes per organisation. */
  const queues = new Map<number, Job[]>();
  /**
   * The turn at which each organisation with work queued or running last started a PATCH: the next
   * turn goes to the organisation waiting that was served longest ago (never: first), so one with a
   * backlog takes every other turn at most while another organisation waits.
   */
  const served = new Map<number, number>();
  let turn = 0;
  let nextId = 1;
  let closed = false;

  function start(): Slot {
    const worker = startWorker(import.meta.url, 'patch-worker', {});
    worker.unref();
    const slot: Slot = { worker, job: undefined };
    let failure: string | undefined;
    worker.on('message', (reply: PatchReply) => {
      const job = slot.job;
      if (!job || job.request.id !== reply.id) return;
      slot.job = undefined;
      worker.unref();
      if (!queues.has(job.organisationId)) served.delete(job.organisationId);
      if (reply.ok) job.resolve(reply.result);
      else job.reject(rebuild(reply.error));
      pump();
    });
    worker.on('error', (error) => {
      failure = error.message;
    });
    worker.on('exit', (code) => {
      slots.splice(slots.indexOf(slot), 1);
      const job = slot.job;
      slot.job = undefined;
      if (job) {
        if (!queues.has(job.organisationId)) served.delete(job.organisationId);
        job.reject(new Error(`A SCIM PATCH thread stopped (${failure ?? `exit code ${code}`}).`));
      }
      if (!closed) pump();
    });
    slots.push(slot);
    return slot;
  }

  /** Hands waiting PATCHes to idle threads, the organisations in turn, one running per organisation. */
  function pump(): void {
    for (;;) {
      const running = new Set(slots.flatMap((s) => (s.job ? [s.job.organisationId] : [])));
      let organisationId: number | undefined;
      for (const id of queues.keys()) {
        if (running.has(id)) continue;
        if (organisationId === undefined || (served.get(id) ?? 0) < (served.get(organisationId) ?? 0))
          organisationId = id;
      }
      if (organisationId === undefined) return;
      const slot =
        slots.find((s) => s.job === undefined) ?? (slots.length < threads && !closed ? start() : undefined);
      if (!slot) return;
      const queue = queues.get(organisationId)!;
      const job = queue.shift()!;
      if (queue.length === 0) queues.delete(organisationId);
      served.set(organisationId, ++turn);
      slot.job = job;
      // Referenced while it has work, so a PATCH in flight keeps the process alive until answered.
      slot.worker.ref();
      slot.worker.postMessage(job.request);
    }
  }

  return {
    apply(organisationId, current, operations) {
      if (closed) return Promise.reject(new Error('The SCIM PATCH pool is closed.'));
      return new Promise<Json>((resolve, reject) => {
        const job: Job = {
          organisationId,
          request: { id: nextId++, current, operations },
          resolve,
          reject,
        };
        const queue = queues.get(organisationId);
        if (queue) queue.push(job);
        else queues.set(organisationId, [job]);
        pump();
      });
    },
    pending(organisationId) {
      const running = slots.filter((s) => s.job?.organisationId === organisationId).length;
      return running + (queues.get(organisationId)?.length ?? 0);
    },
    async close() {
      closed = true;
      for (const queue of queues.values())
        for (const job of queue) job.reject(new Error('The SCIM PATCH pool is closed.'));
      queues.clear();
      served.clear();
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

let shared: PatchPool | undefined;

/**
 * The process's pool, started at its first use. One per process rather than per router: the
 * threads are what is bounded, and every router of a process declares the same schemas.
 */
export function sharedPatchPool(): PatchPool {
  shared ??= createPatchPool();
  return shared;
}

function rebuild(error: Extract<PatchReply, { ok: false }>['error']): Error {
  if (error.scim) return new ScimError(error.status, error.scimType, error.detail);
  return new Error(error.message);
}
