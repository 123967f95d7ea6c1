// The unit of work over SQLite: the Store of db/port.ts, the one way code above db/ reads and
// writes. A write runs as a single BEGIN IMMEDIATE transaction (the write lock is taken up front,
// so two processes never deadlock upgrading a read lock) and is retried whole if the lock stays busy.
//
// The transaction's scope is explicit: every engine operation has a step form that runs inside the
// caller's transaction, taking the `q` the caller holds (`claimIn(q, …)`), and a command form that
// opens exactly one (`claim(…)`). Use cases compose by calling step forms with their q (create a
// member + claim a seat + audit = one commit). A write, batched write or read asked for while a
// transaction is open is a command called inside another's: NestedTransactionError, thrown at once,
// and the enclosing write fails with it. Where a failure must not undo earlier work, the caller
// says so with q.savepoint (a refused seat claim must not undo the refusal's record).
//
// A batched write (writeBatched) is the same unit of work with a group commit: the writes queued in
// one turn of the event loop share one BEGIN IMMEDIATE … COMMIT, and so one fsync, each in its own
// savepoint, and each caller hears of its result only after that COMMIT returned.
import type { Db } from './connection.js';
import { translateSqliteError } from './errors.js';
import type { Queries, Store } from './port.js';
import { createQueries } from './queries/index.js';
import { noSecretBox, type SecretBox } from './secret-box.js';

export interface StoreOptions {
  /** Seals the secrets kept for later use; without it, storing one throws. */
  readonly secrets?: SecretBox;
  /** Attempts for a write whose lock stays busy past the busy timeout. */
  readonly busyAttempts?: number;
  /** Told of every busy retry (for metrics). */
  readonly onBusyRetry?: () => void;
  /**
   * Most batched writes in one transaction; more wait for the next. Bounds how long one commit holds
   * the event loop and the write lock.
   */
  readonly maxBatch?: number;
}

/** Default batch size cap: above the concurrency of a provider's push (the benchmark uses 20). */
const MAX_BATCH = 64;

interface Queued {
  readonly work: (q: Queries) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export function createStore(db: Db, options: StoreOptions = {}): Store {
  const queries = createQueries(db, options.secrets ?? noSecretBox);
  const attempts = Math.max(1, options.busyAttempts ?? 3);
  const maxBatch = Math.max(1, Math.trunc(options.maxBatch ?? MAX_BATCH));

  // Built once: better-sqlite3 transaction functions are reusable, and writes are a hot path.
  const transaction = db.transaction((work: (q: Queries) => unknown) => work(queries));
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');

  function write<T>(work: (q: Queries) => T): T {
    if (db.inTransaction) throw new NestedTransactionError('write');
    for (let attempt = 1; ; attempt++) {
      try {
        return run(() => transaction.immediate(work) as T);
      } catch (error) {
        if (!isBusy(error) || attempt >= attempts) throw error;
        options.onBusyRetry?.();
      }
    }
  }

  let queue: Queued[] = [];
  let scheduled = false;

  function writeBatched<T>(work: (q: Queries) => T): Promise<T> {
    // Thrown, not a rejected promise: the enclosing write must fail now, not commit around it.
    if (db.inTransaction) throw new NestedTransactionError('writeBatched');
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!scheduled) {
        scheduled = true;
        // The check phase runs after the poll phase has read every request that arrived: all of
        // them have queued their writes by then, and they share this commit.
        setImmediate(flush);
      }
    });
  }

  function flush(): void {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
    queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
    if (queue.length > 0) {
      scheduled = true;
      setImmediate(flush);
    }
    let outcomes: Outcome[];
    try {
      outcomes = runBatch(batch);
    } catch (error) {
      const failure = translateSqliteError(error);
      for (const queued of batch) queued.reject(failure);
      return;
    }
    // Only now, after COMMIT: each caller learns its own result.
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok) batch[i]!.resolve(outcome.value);
      else batch[i]!.reject(outcome.error);
    }
  }

  function runBatch(batch: readonly Queued[]): Outcome[] {
    for (let attempt = 1; ; attempt++) {
      try {
        return runBatchOnce(batch);
      } catch (error) {
        if (!isBusy(error) || attempt >= attempts) throw error;
        options.onBusyRetry?.();
      }
    }
  }

  /** One transaction for the whole batch; throws (having rolled back) if the batch as a whole fails. */
  function runBatchOnce(batch: readonly Queued[]): Outcome[] {
    if (db.inTransaction) throw new Error('A batched write found a transaction left open on the connection.');
    begin.run();
    try {
      const outcomes = batch.map(({ work }): Outcome => {
        try {
          return { ok: true, value: transaction(work) };
        } catch (error) {
          // SQLite ends the whole transaction on some errors (a full disk, an I/O error): then the
          // writes before this one are gone too, and the batch fails as a whole.
          if (!db.inTransaction) throw error;
          return { ok: false, error: translateSqliteError(error) };
        }
      });
      commit.run();
      return outcomes;
    } catch (error) {
      if (db.inTransaction) rollback.run();
      throw error;
    }
  }

  return {
    queries,
    write,
    writeBatched,
    read: <T>(work: (q: Queries) => T): T => {
      if (db.inTransaction) throw new NestedTransactionError('read');
      return transaction.deferred(work) as T;
    },
    ping: () => (db.prepare('SELECT 1 AS ok').get() as { ok: number } | undefined)?.ok === 1,
    close: () => {
      while (queue.length > 0) flush();
      db.close();
    },
  };
}

/**
 * A write, batched write or read asked for while a transaction is open on the connection: a
 * command was called inside another's transaction. A programming error, so it is thrown at once,
 * and the enclosing write fails with it: the caller holds a `q` and calls the step form with it.
 */
export class NestedTransactionError extends Error {
  constructor(readonly form: 'write' | 'writeBatched' | 'read') {
    super(
      `store.${form} was called while a transaction is open: a command was called inside another's transaction; call its step form with the caller's q.`,
    );
    this.name = 'NestedTransactionError';
  }
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
