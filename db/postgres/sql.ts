// The query layer (db/sql.ts) over node-postgres, on the one client a unit of work holds from BEGIN
// to COMMIT. Statements are the query modules' own text: the `?` and `@name` placeholders become
// $1, $2 … once per distinct text (params.ts), and each text runs as a named prepared statement,
// which PostgreSQL parses and plans once per connection rather than once per call.
import { createHash } from 'node:crypto';
import type { PoolClient, QueryArrayConfig, QueryConfig } from 'pg';
import Cursor from 'pg-cursor';
import {
  boundedStatementCache,
  type Args,
  type Params,
  type PrepareOptions,
  type RunResult,
  type Sql,
  type Statement,
} from '../sql.js';
import { numberParameters, type NumberedStatement } from './params.js';

/** Rows a cursor reads per round trip. */
const CURSOR_BATCH = 500;

/** Numbered forms of the query modules' fixed statements, by text: a set as small as the modules. */
const numbered = new Map<string, NumberedStatement & { readonly name: string }>();

function fixedStatement(text: string) {
  let statement = numbered.get(text);
  if (!statement) {
    // The same name on every connection of every instance for the same text, and a different
    // one for any other text: PostgreSQL keeps prepared statements per connection, by name.
    const name = `sk_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    statement = { ...numberParameters(text), name };
    numbered.set(text, statement);
  }
  return statement;
}

/** A unit of work's client; the query modules are built over it for that unit alone. */
export interface ClientSlot {
  readonly client: PoolClient;
  /** Whether the unit's transaction is still open (a failed COMMIT, or none begun, ends it). */
  readonly inTransaction: boolean;
}

export function postgresSql(slot: ClientSlot): Sql {
  // Request-dependent statements (Sql.cache: a compiled filter) run unnamed: a connection would
  // otherwise keep a prepared statement for every distinct filter it ever saw.
  const statementFor = (text: string, named: boolean): NumberedStatement & { readonly name?: string } =>
    named ? fixedStatement(text) : numberParameters(text);
  const prepareAs = <P extends Params = unknown[], R = unknown>(
    text: string,
    options: PrepareOptions,
    named: boolean,
  ): Statement<P, R> => {
    const statement = statementFor(text, named);
    const { name } = statement;
    const config = (params: Args<P>): QueryConfig => ({
      ...(name === undefined ? {} : { name }),
      text: statement.text,
      values: statement.values(params as readonly unknown[]),
    });
    const rows = async (params: Args<P>): Promise<R[]> => {
      if (options.rowsAsArrays === true) {
        const arrayConfig: QueryArrayConfig = { ...config(params), rowMode: 'array' };
        return (await slot.client.query(arrayConfig)).rows as R[];
      }
      return (await slot.client.query(config(params))).rows as R[];
    };
    return {
      run: async (...params: Args<P>): Promise<RunResult> => ({
        changes: (await slot.client.query(config(params))).rowCount ?? 0,
      }),
      get: async (...params: Args<P>): Promise<R | undefined> => (await rows(params))[0],
      all: (...params: Args<P>): Promise<R[]> => rows(params),
      // A cursor, read a batch at a time: a long result (an organisation's whole audit log) is
      // never held in memory at once, as on SQLite.
      iterate: (...params: Args<P>): AsyncIterable<R> => ({
        async *[Symbol.asyncIterator]() {
          const { text: cursorText, values } = config(params);
          const cursor = slot.client.query(
            new Cursor<R>(cursorText, values, options.rowsAsArrays === true ? { rowMode: 'array' } : {}),
          );
          try {
            for (;;) {
              const batch = await cursor.read(CURSOR_BATCH);
              if (batch.length === 0) return;
              yield* batch;
            }
          } finally {
            await cursor.close();
          }
        },
      }),
    };
  };
  return {
    dialect: 'postgres',
    prepare: <P extends Params = unknown[], R = unknown>(text: string, options: PrepareOptions = {}) =>
      prepareAs<P, R>(text, options, true),
    cache: (limit = 500) =>
      boundedStatementCache(limit, (text) => prepareAs<unknown[], unknown>(text, {}, false)),
    get inTransaction() {
      return slot.inTransaction;
    },
  };
}
