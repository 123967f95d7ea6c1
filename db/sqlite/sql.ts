// The query layer (db/sql.ts) over better-sqlite3. The driver is synchronous: each call runs to the
// end at once and hands back an already settled Promise, so a query costs one Promise more than a
// plain call and never yields the connection in the middle of a statement.
import type Database from 'better-sqlite3';
import type { Db } from './connection.js';
import {
  boundedStatementCache,
  type Args,
  type Params,
  type PrepareOptions,
  type RunResult,
  type Sql,
  type Statement,
} from '../sql.js';

type Prepared = Database.Statement<unknown[]>;

/** What a driver error is rejected with: the error itself (the driver throws only Errors). */
const rejected = (error: unknown): Promise<never> =>
  Promise.reject(error instanceof Error ? error : new Error(String(error)));

// Every query passes here: no closure per call, and an already settled Promise for the result.
function wrap<P extends Params, R>(prepared: Prepared): Statement<P, R> {
  return {
    run(...params: Args<P>): Promise<RunResult> {
      try {
        return Promise.resolve(prepared.run(...(params as unknown[])));
      } catch (error) {
        return rejected(error);
      }
    },
    get(...params: Args<P>): Promise<R | undefined> {
      try {
        return Promise.resolve(prepared.get(...(params as unknown[])) as R | undefined);
      } catch (error) {
        return rejected(error);
      }
    },
    all(...params: Args<P>): Promise<R[]> {
      try {
        return Promise.resolve(prepared.all(...(params as unknown[])) as R[]);
      } catch (error) {
        return rejected(error);
      }
    },
    iterate: (...params: Args<P>): AsyncIterable<R> => ({
      [Symbol.asyncIterator]() {
        const rows = prepared.iterate(...(params as unknown[])) as IterableIterator<R>;
        return {
          next: () => {
            try {
              return Promise.resolve(rows.next());
            } catch (error) {
              return rejected(error);
            }
          },
          // A loop left early (break, a throw) ends the statement, so the connection can run the next.
          return: () => Promise.resolve(rows.return?.() ?? { done: true as const, value: undefined }),
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
    dialect: 'sqlite',
    prepare,
    cache: (limit = 500) => boundedStatementCache(limit, (text) => prepare(text)),
    get inTransaction() {
      return db.inTransaction;
    },
  };
}
