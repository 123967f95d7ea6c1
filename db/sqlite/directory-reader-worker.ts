// The worker thread of db/sqlite/directory-reader.ts: its own read-only use of the database file, on which
// it runs SCIM list queries (filter, order, page and count, all in SQL) one after another. A filter
// that scans a whole directory holds this thread, not the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './connection.js';
import { createStore } from './store.js';
import type { ReaderReply, ReaderRequest, ReaderWorkerData } from './directory-reader.js';

const { databasePath, busyTimeoutMs } = workerData as ReaderWorkerData;

/**
 * The connection, opened at the first list rather than at start: a thread started beside a busy
 * one is often terminated (the server closing) before it ever runs a list, and a thread terminated
 * while SQLite reports an error (the file already removed, say) takes the whole process down with
 * a fatal V8 error. Untouched, it has nothing to report.
 */
let opened: ReturnType<typeof open> | undefined;
function open() {
  const store = createStore(openDatabase(databasePath, { busyTimeoutMs }));
  return {
    // The count and the page in one read transaction: one snapshot, so totalResults and the page agree.
    listUsers: (request: ReaderRequest) =>
      store.read((q) => q.directoryUsers.list(request.organisationId, request.page)),
    listGroups: (request: ReaderRequest) =>
      store.read((q) => q.groups.list(request.organisationId, request.page)),
  };
}

parentPort!.on('message', (request: ReaderRequest) => void answer(request));

async function answer(request: ReaderRequest): Promise<void> {
  let reply: ReaderReply;
  try {
    opened ??= open();
    const result =
      request.kind === 'users' ? await opened.listUsers(request) : await opened.listGroups(request);
    reply = { id: request.id, ok: true, result };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const { code, details } = e as { code?: unknown; details?: unknown };
    reply = {
      id: request.id,
      ok: false,
      error: {
        name: e.name,
        message: e.message,
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof details === 'object' && details !== null
          ? { details: details as Record<string, unknown> }
          : {}),
      },
    };
  }
  parentPort!.postMessage(reply);
}
