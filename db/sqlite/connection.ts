// Opens the SQLite database with the settings every process must share.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { foldKey } from '../../domain/fold.js';

export type Db = Database.Database;

export interface DatabaseOptions {
  /** How long a writer waits for another connection's lock before SQLITE_BUSY. */
  readonly busyTimeoutMs: number;
}

export function openDatabase(path: string, options: DatabaseOptions): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // WAL lets readers proceed while one writer commits, and lets several processes share the file.
  db.pragma('journal_mode = WAL');
  // FULL: a committed seat claim or invoice survives power loss, not only a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  // Case-insensitive comparisons in SQL use the application's own fold (SQLite's lower() folds
  // ASCII only), so a filter on a JSON attribute folds exactly like the indexed key columns.
  db.function('fold_key', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? foldKey(text) : text,
  );
  return db;
}
