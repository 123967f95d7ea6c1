// The unit of work (db/port.ts Store) over PostgreSQL: each unit checks a client out of the pool,
// runs BEGIN … COMMIT on it, and gives it back. Units run concurrently, each on its own client, and
// PostgreSQL's row locks decide between them: a seat claim is the same conditional UPDATE as on
// SQLite, and a second claim of the last seat waits for the first to commit, re-reads the row
// (READ COMMITTED) and finds no seat left.
//
// A unit that PostgreSQL ends with a serialization failure (40001) or a deadlock (40P01) is run
// again from the start, a bounded number of times, after a short random pause: its work is a
// function of the q it is given, so running it again is the retry.
import type { Pool } from 'pg';
import type { Queries, Store } from '../port.js';
import { createQueries } from '../queries/index.js';
import { noSecretBox, type SecretBox } from '../secret-box.js';
import { unitContext, type UnitKind } from '../nesting.js';
import { isRetryable, translatePostgresError } from './errors.js';
import { postgresSql } from './sql.js';

export interface PostgresStoreOptions {
  readonly secrets?: SecretBox;
  /** Attempts for a unit PostgreSQL ends with a serialization failure or a deadlock. */
  readonly attempts?: number;
  /** Told of every retry (for metrics). */
  readonly onRetry?: () => void;
  /** Refuse a unit asked for inside another (db/nesting.ts); by default where cheap or under test. */
  readonly checkNesting?: boolean;
}

type Kind = UnitKind;

/** Longest pause before a retry, in milliseconds; the pause is random below it. */
const MAX_RETRY_PAUSE_MS = 20;

export function createPostgresStore(pool: Pool, options: PostgresStoreOptions = {}): Store {
  const attempts = Math.max(1, options.attempts ?? 5);
  const secrets = options.secrets ?? noSecretBox;
  const units = unitContext(options.checkNesting);
  let closed = false;
  let running = 0;
  /** Told after each webhook event row is inserted (Store.onEventWritten). */
  const wakes: (() => void)[] = [];
  const eventWritten = () => wakes.forEach((wake) => wake());

  async function once<T>(kind: Kind, work: (q: Queries) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    const slot = { client, inTransaction: false };
    // The query modules are built for this unit, over its client.
    const q = createQueries(
      postgresSql(slot),
      secrets,
      () => (kind === 'write' && slot.inTransaction ? slot : undefined),
      eventWritten,
    );
    let broken: unknown;
    try {
      await client.query(kind === 'write' ? 'BEGIN' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      slot.inTransaction = true;
      const value = await units.run(kind, () => work(q));
      await client.query('COMMIT');
      slot.inTransaction = false;
      return value;
    } catch (error) {
      if (slot.inTransaction) {
        slot.inTransaction = false;
        // A client that cannot even roll back is not given back to the pool.
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
      }
      throw error;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async function unit<T>(kind: Kind, work: (q: Queries) => Promise<T>): Promise<T> {
    const nested = units.nested(kind);
    if (nested) throw nested;
    if (closed) throw new Error('The store is closed.');
    running++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(kind, work);
        } catch (error) {
          if (!isRetryable(error) || attempt >= attempts) throw translatePostgresError(error);
          options.onRetry?.();
          await new Promise((resolve) => setTimeout(resolve, Math.random() * MAX_RETRY_PAUSE_MS));
        }
      }
    } finally {
      running--;
    }
  }

  return {
    write: (work) => unit('write', work),
    read: (work) => unit('read', work),
    async ping() {
      try {
        return (await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]?.ok === 1;
      } catch {
        return false;
      }
    },
    onEventWritten(wake) {
      wakes.push(wake);
    },
    async close() {
      if (closed) return;
      closed = true;
      while (running > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await pool.end();
    },
  };
}
