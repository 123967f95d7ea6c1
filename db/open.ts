// Opening the configured database: SQLite on a file (the default, no configuration) or PostgreSQL
// at a URL (several instances on one database). The one place that chooses a dialect; everything
// above db/ gets the same Store, statistics and migration report whichever it is.
import type { DatabaseStats, DirectoryReader, Store } from './port.js';
import type { SecretBox } from './secret-box.js';
import { openDatabase } from './sqlite/connection.js';
import { createDirectoryReader } from './sqlite/directory-reader.js';
import { migrate } from './sqlite/migrate.js';
import { createStats } from './sqlite/stats.js';
import { createStore } from './sqlite/store.js';
import { openPool } from './postgres/connection.js';
import { migratePostgres } from './postgres/migrate.js';
import { createPostgresStats } from './postgres/stats.js';
import { createPostgresStore } from './postgres/store.js';

/** Where the data lives. */
export type DatabaseTarget =
  | {
      readonly dialect: 'sqlite';
      /** The database file, or ':memory:' (tests and tools: gone with the process). */
      readonly path: string;
      /** How long a write waits for another process's lock before it is retried. */
      readonly busyTimeoutMs: number;
    }
  | {
      readonly dialect: 'postgres';
      /** postgres:// or postgresql:// (server/config.ts checked it). */
      readonly url: string;
      /** The most connections this process holds. */
      readonly maxConnections: number;
    };

export interface StorageOptions {
  /** Seals the secrets kept for later use. */
  readonly secrets: SecretBox;
  /** Told of every transaction run again: a busy lock (SQLite), a serialization failure or deadlock (PostgreSQL). */
  readonly onRetry: () => void;
  /** Told when a pooled PostgreSQL connection fails while idle (the pool replaces it). */
  readonly onConnectionError: (error: Error) => void;
}

export interface Storage {
  readonly dialect: DatabaseTarget['dialect'];
  readonly store: Store;
  readonly stats: DatabaseStats;
  /**
   * SQLite on a file: SCIM lists on threads of their own, so a directory-wide filter never holds
   * the event loop. PostgreSQL needs none: the server does the work, and the process only waits.
   */
  readonly directoryReader: DirectoryReader | undefined;
  /** The names of the migrations applied as it opened (empty when the schema was current). */
  readonly migrated: readonly string[];
  /**
   * Rewrites the stored data so that no old copy of a value outlives it (after sealing secrets
   * stored in plain text). SQLite: VACUUM, then the write-ahead log truncated. PostgreSQL: left
   * to its own VACUUM, which reclaims the old row versions; see docs/deployment.md.
   */
  compact(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the database, applies pending migrations (under a lock, so instances starting together never race), and builds the store. */
export async function openStorage(target: DatabaseTarget, options: StorageOptions): Promise<Storage> {
  if (target.dialect === 'postgres') {
    const pool = openPool({
      url: target.url,
      maxConnections: target.maxConnections,
      onIdleError: options.onConnectionError,
    });
    try {
      const applied = await migratePostgres(pool);
      const store = createPostgresStore(pool, { secrets: options.secrets, onRetry: options.onRetry });
      return {
        dialect: 'postgres',
        store,
        stats: createPostgresStats(pool),
        directoryReader: undefined,
        migrated: applied.map((m) => m.name),
        compact: () => Promise.resolve(),
        close: () => store.close(),
      };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }
  const db = openDatabase(target.path, { busyTimeoutMs: target.busyTimeoutMs });
  try {
    const applied = migrate(db);
    const store = createStore(db, { secrets: options.secrets, onBusyRetry: options.onRetry });
    const directoryReader =
      target.path === ':memory:'
        ? undefined // an in-memory database exists only on this connection
        : createDirectoryReader({ databasePath: target.path, busyTimeoutMs: target.busyTimeoutMs });
    return {
      dialect: 'sqlite',
      store,
      stats: createStats(db),
      directoryReader,
      migrated: applied.map((m) => m.name),
      compact: () =>
        new Promise<void>((resolve) => {
          // Another process reading at this instant makes it fail (a rejection): the caller says so and goes on.
          db.exec('VACUUM');
          db.pragma('wal_checkpoint(TRUNCATE)');
          resolve();
        }),
      async close() {
        await directoryReader?.close();
        await store.close();
      },
    };
  } catch (error) {
    if (db.open) db.close();
    throw error;
  }
}

/** Only the migrations (a cluster's primary process, before it forks the servers). */
export async function migrateOnly(target: DatabaseTarget): Promise<readonly string[]> {
  if (target.dialect === 'postgres') {
    const pool = openPool({ url: target.url, maxConnections: 1 });
    try {
      return (await migratePostgres(pool)).map((m) => m.name);
    } finally {
      await pool.end();
    }
  }
  const db = openDatabase(target.path, { busyTimeoutMs: target.busyTimeoutMs });
  try {
    return migrate(db).map((m) => m.name);
  } finally {
    db.close();
  }
}
