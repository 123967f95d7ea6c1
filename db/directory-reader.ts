// SCIM list queries (db/queries/directory-users.ts and groups.ts `list`) run on a worker thread with
// its own connection to the database file, so that a filter scanning a whole directory (a `co` on
// every user's emails, say) never holds the server's event loop, which every organisation shares.
// SQLite in WAL mode lets the worker read while the main thread writes; each list is one read
// transaction, so it sees what was committed before it started, like any read of another process.
//
// One worker, started on first use, answering in order. It is unref'd: it never keeps the process
// alive. A worker that dies fails the lists it held, and the next list starts a new one.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { ValidationError } from '../domain/errors.js';
import type { ListPage } from './queries/directory-users.js';
import type { Group } from './queries/groups.js';
import type { Member } from './queries/members.js';

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

export interface DirectoryReader {
  listUsers(organisationId: number, page: ListPage): Promise<{ total: number; members: Member[] }>;
  listGroups(organisationId: number, page: ListPage): Promise<{ total: number; groups: Group[] }>;
  /** Stops the worker; lists still waiting fail. */
  close(): Promise<void>;
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export function createDirectoryReader(data: ReaderWorkerData): DirectoryReader {
  let worker: Worker | undefined;
  const pending = new Map<number, Pending>();
  let nextId = 1;

  function failAll(error: Error): void {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  }

  function start(): Worker {
    const { filename, workerOptions } = workerEntry();
    const w = new Worker(filename, { ...workerOptions, workerData: data });
    w.unref();
    let failure: string | undefined;
    w.on('message', (reply: ReaderReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.ok) p.resolve(reply.result);
      else p.reject(rebuild(reply.error));
    });
    w.on('error', (error) => {
      failure = error.message;
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`The directory reader stopped (${failure ?? `exit code ${code}`}).`));
    });
    return w;
  }

  function ask<T>(kind: ReaderRequest['kind'], organisationId: number, page: ListPage): Promise<T> {
    worker ??= start();
    const w = worker;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      // Referenced while it has work, so a list in flight keeps the process alive until answered.
      w.ref();
      w.postMessage({ id, kind, organisationId, page } satisfies ReaderRequest);
    });
  }

  return {
    listUsers: (organisationId, page) => ask('users', organisationId, page),
    listGroups: (organisationId, page) => ask('groups', organisationId, page),
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
      failAll(new Error('The directory reader is closed.'));
    },
  };
}

/** The worker's error as the caller would have seen it on this thread. */
function rebuild(error: Extract<ReaderReply, { ok: false }>['error']): Error {
  if (error.name === 'ValidationError')
    return new ValidationError(error.message, error.details ?? {}, error.code);
  return new Error(error.message);
}

/** The worker's entry: the compiled .js beside this file, or, from the sources, the .ts through tsx. */
function workerEntry(): { filename: string | URL; workerOptions: WorkerOptions } {
  const extension = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./directory-reader-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return { filename: entry, workerOptions: {} };
  return {
    filename: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
    workerOptions: { eval: true },
  };
}
