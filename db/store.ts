// The unit of work: the one way code above db/ reads and writes. A write runs as a single
// BEGIN IMMEDIATE transaction (the write lock is taken up front, so two processes never deadlock
// upgrading a read lock), is retried whole if the lock stays busy, and nests as a savepoint inside
// an enclosing write, so use cases compose (create a member + claim a seat + audit = one commit).
import type { Db } from './connection.js';
import { translateSqliteError } from './errors.js';
import { createQueries, type Queries } from './queries/index.js';

export interface Store {
  readonly queries: Queries;
  /** Runs `work` in one write transaction and returns its result; any throw rolls everything back. */
  write<T>(work: (q: Queries) => T): T;
  /** Runs `work` against a consistent snapshot. */
  read<T>(work: (q: Queries) => T): T;
  /** True when the database answers. */
  ping(): boolean;
  close(): void;
}

export interface StoreOptions {
  /** Attempts for a write whose lock stays busy past the busy timeout. */
  readonly busyAttempts?: number;
  /** Told of every busy retry (for metrics). */
  readonly onBusyRetry?: () => void;
}

export function createStore(db: Db, options: StoreOptions = {}): Store {
  const queries = createQueries(db);
  const attempts = Math.max(1, options.busyAttempts ?? 3);

  // Built once: better-sqlite3 transaction functions are reusable, and writes are a hot path.
  const transaction = db.transaction((work: (q: Queries) => unknown) => work(queries));

  function write<T>(work: (q: Queries) => T): T {
    // Inside an enclosing write this becomes a savepoint of it; retrying is the outer write's job.
    if (db.inTransaction) return run(() => transaction(work) as T);
    for (let attempt = 1; ; attempt++) {
      try {
        return run(() => transaction.immediate(work) as T);
      } catch (error) {
        if (!isBusy(error) || attempt >= attempts) throw error;
        options.onBusyRetry?.();
      }
    }
  }

  return {
    queries,
    write,
    read: <T>(work: (q: Queries) => T): T =>
      db.inTransaction ? work(queries) : (transaction.deferred(work) as T),
    ping: () => (db.prepare('SELECT 1 AS ok').get() as { ok: number } | undefined)?.ok === 1,
    close: () => db.close(),
  };
}

function run<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw translateSqliteError(error);
  }
}

function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED')
  );
}
