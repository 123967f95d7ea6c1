// The unit of work over SQLite: the Store of db/port.ts, the one way code above db/ reads and
// writes. Every read and write is asynchronous, as it is on a pooled network driver, so the code
// above db/ is the same whichever backend runs under it.
//
// SQLite keeps one connection per process, and a mutex serialises the transactions on it: a unit of
// work holds the connection from BEGIN to COMMIT, across its awaits, and the next waits. A write runs
// as BEGIN IMMEDIATE (the write lock is taken up front, so two processes never deadlock upgrading a
// read lock) and is retried whole if the lock stays busy past the busy timeout.
//
// Group commit lives here and nowhere above: the writes asked for in one turn of the event loop run,
// in the order asked, in one BEGIN IMMEDIATE … COMMIT, and so one fsync, each in its own savepoint.
// Each sees the effects of those before it, exactly as if they had run one after another; a throw
// undoes only its own savepoint and rejects only its own promise; and every promise settles only
// after the shared COMMIT returned, so a resolved write is on disk.
//
// The transaction's scope is explicit: every engine operation has a step form that runs inside the
// caller's transaction, taking the `q` the caller holds (`claimIn(q, …)`), and a command form that
// opens exactly one (`claim(…)`). A write or read asked for from inside a unit of work would wait
// for the connection its own caller holds; it is refused at once with NestedTransactionError
// (db/nesting.ts).
import type { Db } from './connection.js';
import { translateSqliteError } from './errors.js';
import { unitContext, type UnitKind } from '../nesting.js';
import type { Queries, Store } from '../port.js';
import { createQueries } from '../queries/index.js';
import { noSecretBox, type SecretBox } from '../secret-box.js';
import { sqliteSql } from './sql.js';

export interface StoreOptions {
  /** Seals the secrets kept for later use; without it, storing one throws. */
  readonly secrets?: SecretBox;
  /** Attempts for a write whose lock stays busy past the busy timeout. */
  readonly busyAttempts?: number;
  /** Told of every busy retry (for metrics). */
  readonly onBusyRetry?: () => void;
  /**
   * Most writes in one group commit; more wait for the next. Bounds how long one commit holds the
   * connection and the write lock.
   */
  readonly maxBatch?: number;
  /** Refuse a write or read asked for inside a unit of work (db/nesting.ts); by default where cheap or under test. */
  readonly checkNesting?: boolean;
}

/** Default group-commit cap: above the concurrency of a provider's push (the benchmark uses 20). */
const MAX_BATCH = 64;

/** Reads and write batches run back to back (see drain) before the event loop gets a turn. */
const MAX_ROUNDS = 16;

type Kind = UnitKind;

interface Unit {
  readonly kind: Kind;
  readonly work: (q: Queries) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export function createStore(db: Db, options: StoreOptions = {}): Store {
  const attempts = Math.max(1, options.busyAttempts ?? 3);
  const maxBatch = Math.max(1, Math.trunc(options.maxBatch ?? MAX_BATCH));
  // Marks the asynchronous context of a running unit of work, so a nested write or read is told
  // apart from a concurrent one (which simply waits its turn).
  const units = unitContext(options.checkNesting);
  /** The kind of the unit holding the connection; one runs at a time. */
  let running: Kind | undefined;
  /** Names the write unit running now (Queries' savepoints are kept per write); new for each run. */
  let writing: object = {};
  /** Told after each webhook event row is inserted (Store.onEventWritten). */
  const wakes: (() => void)[] = [];
  const queries = createQueries(
    sqliteSql(db),
    options.secrets ?? noSecretBox,
    () => (running === 'write' ? writing : undefined),
    () => wakes.forEach((wake) => wake()),
  );

  const begin = db.prepare('BEGIN IMMEDIATE');
  const beginRead = db.prepare('BEGIN DEFERRED');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT unit');
  const release = db.prepare('RELEASE unit');
  const rollbackTo = db.prepare('ROLLBACK TO unit');

  let queue: Unit[] = [];
  /** The connection is held by a running unit (or a batch of them). */
  let busy = false;
  let scheduled = false;
  let closed = false;

  // Not an async function: every read and write passes here, and one promise per unit is enough.
  function enqueue<T>(kind: Kind, work: (q: Queries) => Promise<T>): Promise<T> {
    const nested = units.nested(kind);
    if (nested) return Promise.reject(nested);
    if (closed) return Promise.reject(new Error('The store is closed.'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ kind, work, resolve: resolve as (value: unknown) => void, reject });
      // A read on an idle connection runs now; writes wait for the check phase, which runs after
      // the poll phase has read every request that arrived, so the writes they ask for share a commit.
      if (kind === 'read' && !busy && queue.length === 1) void drain();
      else schedule();
    });
  }

  function schedule(): void {
    if (scheduled || busy) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void drain();
    });
  }

  async function drain(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      let wrote = false;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        if (queue.length === 0) {
          // A settled write's callers go on in the microtasks that follow; one that asks for its
          // next write there (a sequential loop, a command's second write) could share a commit with
          // nothing from the network before the next turn of the event loop, so it runs at once
          // rather than a turn later. process.nextTick fires once those microtasks are done. After a
          // read the connection is let go at once: the write a request asks for after its read waits
          // for the check phase, to share a commit with the other requests of its turn.
          if (!wrote) break;
          await new Promise<void>((resolve) => process.nextTick(resolve));
          if (queue.length === 0) break;
        }
        const head = queue[0]!;
        wrote = head.kind === 'write';
        if (head.kind === 'read') {
          queue.shift();
          await runRead(head);
        } else {
          await runWrites(takeWrites());
        }
      }
    } finally {
      busy = false;
    }
    // Rounds are bounded, so that a caller reading or writing in a loop still lets the event loop
    // turn (network, timers, other tenants); what is left waits for the check phase.
    if (queue.length > 0) schedule();
  }

  /** The writes at the head of the queue, up to the cap; a read behind them keeps its place. */
  function takeWrites(): Unit[] {
    let n = 0;
    while (n < queue.length && n < maxBatch && queue[n]!.kind === 'write') n++;
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  }

  // The paths below are flat on purpose: every claim passes through them, and each async layer
  // costs a promise and a microtask more per unit (BENCHMARKS.md, the claim path).

  async function runRead(unit: Unit): Promise<void> {
    beginRead.run();
    running = 'read';
    try {
      const value = await units.run('read', () => unit.work(queries));
      running = undefined;
      commit.run();
      unit.resolve(value);
    } catch (error) {
      running = undefined;
      if (db.inTransaction) rollback.run();
      unit.reject(translateSqliteError(error));
    }
  }

  /** Runs the batch in one transaction, again whole while the lock stays busy; then settles each unit. */
  async function runWrites(batch: readonly Unit[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let outcomes: Outcome[];
      try {
        outcomes = await runBatchOnce(batch);
      } catch (error) {
        if (isBusy(error) && attempt < attempts) {
          options.onBusyRetry?.();
          continue;
        }
        const failure = translateSqliteError(error);
        for (const unit of batch) unit.reject(failure);
        return;
      }
      // Only now, after COMMIT: each caller learns its own result.
      for (let i = 0; i < batch.length; i++) {
        const outcome = outcomes[i]!;
        if (outcome.ok) batch[i]!.resolve(outcome.value);
        else batch[i]!.reject(outcome.error);
      }
      return;
    }
  }

  /**
   * One transaction for the whole batch, each unit in its own savepoint (a lone write needs none).
   * Throws, having rolled back, if the batch as a whole fails.
   */
  async function runBatchOnce(batch: readonly Unit[]): Promise<Outcome[]> {
    const alone = batch.length === 1;
    begin.run();
    running = 'write';
    try {
      const outcomes: Outcome[] = [];
      for (const unit of batch) {
        writing = {};
        if (!alone) savepoint.run();
        try {
          const value = await units.run('write', () => unit.work(queries));
          if (!alone) release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          // SQLite ends the whole transaction on some errors (a full disk, an I/O error): then the
          // writes before this one are gone too, and the batch fails as a whole.
          if (alone || !db.inTransaction) throw error;
          rollbackTo.run();
          release.run();
          outcomes.push({ ok: false, error: translateSqliteError(error) });
        }
      }
      running = undefined;
      commit.run();
      return outcomes;
    } catch (error) {
      running = undefined;
      if (db.inTransaction) rollback.run();
      throw error;
    }
  }

  return {
    write: (work) => enqueue('write', work),
    read: (work) => enqueue('read', work),
    ping: () => {
      try {
        return Promise.resolve((db.prepare('SELECT 1 AS ok').get() as { ok: number } | undefined)?.ok === 1);
      } catch {
        return Promise.resolve(false);
      }
    },
    onEventWritten(wake) {
      wakes.push(wake);
    },
    async close() {
      if (closed) return;
      closed = true;
      // The units already asked for run to the end; then the connection closes.
      while (busy || queue.length > 0) {
        if (busy) await new Promise((resolve) => setImmediate(resolve));
        else await drain();
      }
      db.close();
    },
  };
}

function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED')
  );
}
