// The query layer (db/sql.ts) over better-sqlite3. The driver is synchronous: each call runs to the
// end at once and hands back an already settled Promise, so a query costs one Promise more than a
// plain call and never yields the connection in the middle of a statement.
import type Database from 'better-sqlite3';
import type { Db } from './connection.js';
import type { Args, Params, PrepareOptions, RunResult, Sql, Statement } from '../sql.js';

type Prepared = Database.Statement<unknown[]>;

/** Settles with what `call` returns, or rejects with what it throws, as an async driver would. */
function settle<T>(call: () => T): Promise<T> {
  // A throw inside the executor rejects the Promise with it.
  return new Promise<T>((resolve) => resolve(call()));
}

function wrap<P extends Params, R>(prepared: Prepared): Statement<P, R> {
  const bound = (params: Args<P>) => params as unknown[];
  return {
    run: (...params: Args<P>): Promise<RunResult> => settle(() => prepared.run(...bound(params))),
    get: (...params: Args<P>): Promise<R | undefined> =>
      settle(() => prepared.get(...bound(params)) as R | undefined),
    all: (...params: Args<P>): Promise<R[]> => settle(() => prepared.all(...bound(params)) as R[]),
    iterate: (...params: Args<P>): AsyncIterable<R> => ({
      [Symbol.asyncIterator]() {
        const rows = prepared.iterate(...bound(params)) as IterableIterator<R>;
        return {
          next: () => settle(() => rows.next()),
          // A loop left early (break, a throw) ends the statement, so the connection can run the next.
          return: () => settle(() => rows.return?.() ?? { done: true as const, value: undefined }),
        };
      },
    }),
  };
}

export function sqliteSql(db: Db): Sql {
  const prepare = <P extends Params = unknown[], R = unknown>(
    text: string,
    options: PrepareOptions = {},
  ): Statement<P, R> => {
    const prepared = db.prepare<unknown[]>(text);
    if (options.rowsAsArrays === true) prepared.raw(true);
    return wrap<P, R>(prepared);
  };
  return {
    prepare,
    cache(limit = 500) {
      const statements = new Map<string, Statement<unknown[], unknown>>();
      return (text) => {
        let statement = statements.get(text);
        if (!statement) {
          statement = prepare(text);
          if (statements.size < limit) statements.set(text, statement);
        }
        return statement;
      };
    },
    get inTransaction() {
      return db.inTransaction;
    },
  };
}
