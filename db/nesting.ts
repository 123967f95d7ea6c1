// Telling a unit of work asked for from inside another (a command called within another's
// transaction, a programming error) from one asked for concurrently, for every store. On SQLite the
// nested one would wait forever for the connection its own caller holds; on a pool it would take a
// second connection and wait on its caller's locks, or commit on its own. It is refused at once.
//
// Telling the two apart takes the caller's asynchronous context (AsyncLocalStorage). On Node 24 and
// later that context travels with each promise at next to no cost. On Node 20 and 22 it is kept by
// promise hooks, which slow every promise in the process: one seat claim costs about a tenth more
// CPU (BENCHMARKS.md). There the check runs under test (NODE_ENV=test, which the test runner sets)
// and not in production, where a nested call, which the tests would have refused, waits instead.
import { AsyncLocalStorage } from 'node:async_hooks';

export type UnitKind = 'write' | 'read';

/** Node 24 carries AsyncLocalStorage in the promise's own context frame, without promise hooks. */
export const NESTING_CHECK_DEFAULT =
  Number(process.versions.node.split('.')[0]) >= 24 || process.env.NODE_ENV === 'test';

/**
 * A write or read asked for from inside a unit of work: a command was called inside another's
 * transaction. A programming error, refused at once: the caller holds a `q` and calls the step form
 * with it.
 */
export class NestedTransactionError extends Error {
  constructor(readonly form: UnitKind) {
    super(
      `store.${form} was called inside a unit of work: a command was called inside another's transaction; call its step form with the caller's q.`,
    );
    this.name = 'NestedTransactionError';
  }
}

export interface UnitContext {
  /** The refusal for a unit asked for now, if the caller runs inside a unit of work; else undefined. */
  nested(kind: UnitKind): NestedTransactionError | undefined;
  /** Runs a unit's work marked as inside a unit of work (unmarked when the check is off). */
  run<T>(kind: UnitKind, work: () => Promise<T>): Promise<T>;
}

export function unitContext(check = NESTING_CHECK_DEFAULT): UnitContext {
  if (!check) return { nested: () => undefined, run: (_kind, work) => work() };
  const inUnit = new AsyncLocalStorage<UnitKind>();
  return {
    nested: (kind) => (inUnit.getStore() === undefined ? undefined : new NestedTransactionError(kind)),
    run: (kind, work) => inUnit.run(kind, work),
  };
}
