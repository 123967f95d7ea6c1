// SCIM list queries (db/queries/directory-users.ts and groups.ts `list`) run on a worker thread with
// its own connection to the database file, so that a filter scanning a whole directory (a `co` on
// every user's emails, say) never holds the server's event loop, which every organisation shares.
// SQLite in WAL mode lets the worker read while the main thread writes; each list is one read
// transaction, so it sees what was committed before it started, like any read of another process.
//
// Two worker threads, started at the first list, each running one list at a time; an organisation
// has at most one list running, so one organisation's scans never queue another's lookups. Idle
// workers are unref'd: they never keep the process alive. A worker that dies fails the list it
// held, and the next list starts a new one.
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../runtime/worker-thread.js';
import { ValidationError } from '../../domain/errors.js';
import type { Group, ListPage, Member } from '../../domain/records.js';
import type { DirectoryReader } from '../port.js';

export interface ReaderWorkerData {
  readonly databasePath: string;
  readonly busyTimeoutMs: number;
}

/** Main thread → worker. */
export interface ReaderRequest {
  readonly id: number;
  readonly kind: 'users' | 'groups';
  readonly organisationId: number;
  readonly page: ListPage;
}

/** Worker → main thread: the page, or the error the query threw (a ValidationError is rebuilt). */
export type ReaderReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly result: { total: number; members: Member[] } | { total: number; groups: Group[] };
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: {
        readonly name: string;
        readonly message: string;
        readonly code?: string;
        readonly details?: Record<string, unknown>;
      };
    };

interface Job {
  readonly request: ReaderRequest;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  /** The list it is running, if any: one at a time, so a job is never queued behind another's scan. */
  job: Job | undefined;
}

/**
 * Worker threads. Two: one organisation runs at most one list at a time (see pump), so a scan of a
 * large directory occupies one thread while every other organisation's lists use the other.
 */
const THREADS = 2;

export function createDirectoryReader(data: ReaderWorkerData, threads = THREADS): DirectoryReader {
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function start(): Slot {
    const worker = startWorker(import.meta.url, 'directory-reader-worker', { workerData: data });
    worker.unref();
    const slot: Slot = { worker, job: undefined };
    let failure: string | undefined;
    worker.on('message', (reply: ReaderReply) => {
      const job = slot.job;
      if (!job || job.request.id !== reply.id) return;
      slot.job = undefined;
      worker.unref();
      if (reply.ok) job.resolve(reply.result);
      else job.reject(rebuild(reply.error));
      pump();
    });
    worker.on('error', (error) => {
      failure = error.message;
    });
    worker.on('exit', (code) => {
      slots.splice(slots.indexOf(slot), 1);
      slot.job?.reject(new Error(`The directory reader stopped (${failure ?? `exit code ${code}`}).`));
      slot.job = undefined;
      if (!closed) pump();
    });
    slots.push(slot);
    return slot;
  }

  /**
   * Hands queued lists to idle threads, oldest first, skipping an organisation that already has one
   * running: its next list waits for its own, not other organisations' for it.
   */
  function pump(): void {
    for (;;) {
      const busy = new Set(slots.flatMap((s) => (s.job ? [s.job.request.organisationId] : [])));
      const at = queue.findIndex((job) => !busy.has(job.request.organisationId));
      if (at < 0) return;
      const slot =
        slots.find((s) => s.job === undefined) ?? (slots.length < threads && !closed ? start() : undefined);
      if (!slot) return;
      const [job] = queue.splice(at, 1);
      slot.job = job;
      // Referenced while it has work, so a list in flight keeps the process alive until answered.
      slot.worker.ref();
      slot.worker.postMessage(job!.request);
    }
  }

  function ask<T>(kind: ReaderRequest['kind'], organisationId: number, page: ListPage): Promise<T> {
    if (closed) return Promise.reject(new Error('The directory reader is closed.'));
    // Every thread at the first list: a thread takes a moment to start, which a list that could
    // have run beside another's long scan should not have to wait for.
    while (slots.length < threads) start();
    return new Promise<T>((resolve, reject) => {
      queue.push({
        request: { id: nextId++, kind, organisationId, page },
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      pump();
    });
  }

  return {
    listUsers: (organisationId, page) => ask('users', organisationId, page),
    listGroups: (organisationId, page) => ask('groups', organisationId, page),
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('The directory reader is closed.'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/** The worker's error as the caller would have seen it on this thread. */
function rebuild(error: Extract<ReaderReply, { ok: false }>['error']): Error {
  if (error.name === 'ValidationError')
    return new ValidationError(error.message, error.details ?? {}, error.code);
  return new Error(error.message);
}
