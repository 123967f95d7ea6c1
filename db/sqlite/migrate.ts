// Applies the numbered SQL files in db/migrations in order, all pending ones in one transaction,
// and records the last applied number in PRAGMA user_version.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './connection.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file,
      sql: readFileSync(`${dir}/${file}`, 'utf8'),
    }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} is out of sequence: expected number ${i + 1}`);
  });
  return migrations;
}

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
