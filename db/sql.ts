// The query layer: every statement is written once, in SQL that SQLite and PostgreSQL both accept,
// and run through the driver of whichever dialect is configured. The query modules (db/queries/)
// see only this interface; a dialect (db/sqlite/sql.ts, db/postgres/sql.ts) prepares and runs the
// statements. Where the two dialects differ (reading and building JSON, a planner hint), the module
// keeps one statement and picks the differing fragment by `Sql.dialect`. Case folding is the same
// text on both: fold_key(), which each dialect defines as the application's foldKey().
//
// Parameters are positional (`?`) or named (`@name`, given as one object), as in every module today;
// a dialect whose driver numbers them ($1, $2 …) rewrites the text once, when it prepares it.
//
// Every call returns a Promise, as a pooled network driver must; SQLite's calls complete at once.

/** A statement's parameters: a tuple for `?`, or one object for `@name`. */
export type Params = unknown[] | object;

/** The argument list a statement with parameters `P` takes. */
export type Args<P extends Params> = P extends unknown[] ? P : [P];

export interface RunResult {
  /** Rows inserted, changed or deleted. */
  readonly changes: number;
}

export interface Statement<P extends Params = unknown[], R = unknown> {
  run(...params: Args<P>): Promise<RunResult>;
  /** The first row, or undefined when there is none. */
  get(...params: Args<P>): Promise<R | undefined>;
  all(...params: Args<P>): Promise<R[]>;
  /** The rows one at a time, for lists too long to hold at once (an audit export). */
  iterate(...params: Args<P>): AsyncIterable<R>;
}

export interface PrepareOptions {
  /**
   * Rows as arrays of the selected columns, in order, rather than objects: cheaper, for the
   * statements every seat claim runs.
   */
  readonly rowsAsArrays?: boolean;
}

/**
 * Which SQL a connection speaks. A module whose statement differs between the two in one fragment
 * (JSON access, JSON building, a planner hint) keeps one statement text and picks the fragment by
 * this; everything else is written once for both.
 */
export type Dialect = 'sqlite' | 'postgres';

/** One connection's statements, as the query modules see it. */
export interface Sql {
  readonly dialect: Dialect;
  /** Prepares a statement once; a module prepares its fixed statements when it is built. */
  prepare<P extends Params = unknown[], R = unknown>(text: string, options?: PrepareOptions): Statement<P, R>;
  /**
   * For statements whose text depends on the request (a compiled filter or sort): prepared once per
   * distinct text. At most `limit` are kept, so hostile variety cannot grow the cache without bound.
   */
  cache(limit?: number): (text: string) => Statement<unknown[], unknown>;
  /** Whether a transaction is open on the connection (an error may have ended it early). */
  readonly inTransaction: boolean;
}

/**
 * The statement cache behind Sql.cache, for every dialect: one statement per distinct text, at
 * most `limit` kept; a text past the limit is prepared on each call and not kept.
 */
export function boundedStatementCache(
  limit: number,
  prepare: (text: string) => Statement<unknown[], unknown>,
): (text: string) => Statement<unknown[], unknown> {
  const statements = new Map<string, Statement<unknown[], unknown>>();
  return (text) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = prepare(text);
      if (statements.size < limit) statements.set(text, statement);
    }
    return statement;
  };
}
