// Applies the numbered SQL files in db/migrations in order, all pending ones in one transaction,
// and records the last applied number in PRAGMA user_version.
import { fileURLToPath } from 'node:url';
import { readMigrations, type Migration } from '../migration-files.js';
import type { Db } from './connection.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** SQLite's migrations, or those of `dir`. */
export const loadMigrations = (dir = MIGRATIONS_DIR): Migration[] => readMigrations(dir);

/** Returns the migrations applied now (empty when the schema was already current). */
export function migrate(db: Db, migrations = loadMigrations()): Migration[] {
  // IMMEDIATE: two processes starting together must not both apply the same migration.
  return db
    .transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > migrations.length) {
        throw new Error(
          `database schema version ${current} is newer than this server (${migrations.length})`,
        );
      }
      const pending = migrations.filter((m) => m.version > current);
      for (const m of pending) db.exec(m.sql);
      if (pending.length > 0) db.pragma(`user_version = ${migrations.length}`);
      return pending;
    })
    .immediate();
}
