// Backups of the database file: an online backup taken while servers keep reading and writing it,
// and the restore of one, with the server stopped, after checking the backup is whole and belongs
// to this build.
//
// Both copy pages with SQLite's online backup API. A backup copies every page in one step, inside
// one read transaction of the source: a consistent snapshot, taken while WAL-mode writers go on
// (a step split in several would start over whenever another process writes in between).
import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConflictError, ValidationError } from '../../domain/errors.js';
import { loadMigrations } from './migrate.js';

/** Pages per backup step: all of them, so the copy is one snapshot. */
const ALL_PAGES = 0x7fffffff;

export interface BackupResult {
  /** The database that was copied. */
  readonly database: string;
  /** The backup written. */
  readonly file: string;
  readonly bytes: number;
  readonly pages: number;
  readonly pageSize: number;
  readonly schemaVersion: number;
  readonly integrity: 'ok';
  readonly ms: number;
}

export interface RestoreResult {
  readonly database: string;
  readonly restoredFrom: string;
  readonly bytes: number;
  readonly pages: number;
  readonly schemaVersion: number;
  /** A copy of the database as it was before the restore; null when there was none. */
  readonly previous: string | null;
  readonly ms: number;
}

interface FileFacts {
  readonly pages: number;
  readonly pageSize: number;
  readonly schemaVersion: number;
}

/**
 * Copies the live database at `databasePath` to `file`, while other connections (the server, in
 * any number of processes) keep reading and writing it. The copy is written under a temporary
 * name, made a self-contained rollback-journal file, checked (PRAGMA integrity_check), flushed to
 * disk, and only then renamed to `file`: `file` is a whole backup or is not there.
 */
export async function backupDatabase(
  databasePath: string,
  file: string,
  options: { readonly busyTimeoutMs: number },
): Promise<BackupResult> {
  const started = performance.now();
  const source = resolve(databasePath);
  const target = resolve(file);
  if (target === source) throw new ValidationError('The backup cannot replace the database itself.');
  if (!existsSync(source)) throw new ValidationError(`There is no database at ${source}.`);
  mkdirSync(dirname(target), { recursive: true });
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  removeDatabaseFiles(partial);
  const db = new Database(source, { fileMustExist: true, timeout: options.busyTimeoutMs });
  try {
    await db.backup(partial, { progress: () => ALL_PAGES });
  } catch (error) {
    removeDatabaseFiles(partial);
    throw error;
  } finally {
    db.close();
  }
  let facts: FileFacts;
  try {
    facts = settle(partial);
    durableRename(partial, target);
  } catch (error) {
    removeDatabaseFiles(partial);
    throw error;
  }
  return {
    database: source,
    file: target,
    bytes: statSync(target).size,
    ...facts,
    integrity: 'ok',
    ms: Math.round(performance.now() - started),
  };
}

/** The backup's copy as one self-contained file, checked; its page and schema facts. */
function settle(path: string): FileFacts {
  const copy = new Database(path, { fileMustExist: true });
  try {
    // The source's WAL mode came along in the copied header; a backup is better one file alone.
    copy.pragma('journal_mode = DELETE');
    const problems = integrityProblems(copy);
    if (problems.length > 0) throw new Error(`the copy failed integrity_check: ${problems.join('; ')}`);
    return facts(copy);
  } finally {
    copy.close();
  }
}

function facts(db: Database.Database): FileFacts {
  return {
    pages: db.pragma('page_count', { simple: true }) as number,
    pageSize: db.pragma('page_size', { simple: true }) as number,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
  };
}

function integrityProblems(db: Database.Database): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
}

export interface BackupCheck extends FileFacts {
  readonly latestSchemaVersion: number;
}

/**
 * Checks that `file` may be restored by this build: a SQLite database that passes
 * PRAGMA integrity_check and foreign_key_check, made by Seatkeeper, with a schema no newer than
 * this build's migrations (an older one is migrated when the server starts), and whose seat
 * counters equal its member rows per tier. Throws ValidationError saying what is wrong.
 */
export function checkBackup(file: string): BackupCheck {
  const path = resolve(file);
  if (!existsSync(path)) throw new ValidationError(`There is no backup at ${path}.`, {}, 'backup_missing');
  const latest = loadMigrations().length;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const problems = integrityProblems(db);
    if (problems.length > 0) {
      throw new ValidationError(
        `${path} fails PRAGMA integrity_check: ${problems.slice(0, 5).join('; ')}. Restore another backup.`,
        { problems: problems.slice(0, 20) },
        'backup_damaged',
      );
    }
    const found = facts(db);
    const tables = new Set(
      db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(),
    );
    if (found.schemaVersion === 0 || !tables.has('seat_pools') || !tables.has('members')) {
      throw new ValidationError(`${path} is not a Seatkeeper database.`, {}, 'backup_not_seatkeeper');
    }
    if (found.schemaVersion > latest) {
      throw new ValidationError(
        `${path} has schema version ${found.schemaVersion}, newer than this server's (${latest}): ` +
          'restore it with the release that made it.',
        { schemaVersion: found.schemaVersion, latestSchemaVersion: latest },
        'backup_schema_newer',
      );
    }
    const foreignKeys = db.pragma('foreign_key_check') as unknown[];
    if (foreignKeys.length > 0) {
      throw new ValidationError(
        `${path} has ${foreignKeys.length} row(s) pointing at rows that do not exist (foreign_key_check).`,
        {},
        'backup_damaged',
      );
    }
    const drift = db
      .prepare<[], { organisation_id: number; tier_id: string; held: number; holding: number }>(
        `SELECT p.organisation_id, p.tier_id, p.held,
           (SELECT count(*) FROM members m WHERE m.organisation_id = p.organisation_id
              AND m.tier_id = p.tier_id AND m.seat_state IN ('seated', 'invited')) AS holding
         FROM seat_pools p`,
      )
      .all()
      .filter((t) => t.held !== t.holding);
    if (drift.length > 0) {
      throw new ValidationError(
        `${path} counts held seats that its members do not hold (${drift
          .slice(0, 3)
          .map((t) => `organisation ${t.organisation_id} ${t.tier_id}: ${t.held} held, ${t.holding} members`)
          .join('; ')}).`,
        {},
        'backup_inconsistent',
      );
    }
    return { ...found, latestSchemaVersion: latest };
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    // SQLITE_NOTADB, SQLITE_CORRUPT…: the file cannot even be read as a database.
    throw new ValidationError(
      `${path} cannot be read as a SQLite database (${error instanceof Error ? error.message : String(error)}).`,
      {},
      'backup_damaged',
    );
  } finally {
    db?.close();
  }
}

/**
 * Refuses when any other connection has the database open. The probe asks for SQLite's exclusive
 * lock without waiting: a WAL-mode connection (every server process) holds a shared lock on the
 * file for as long as it is open, so the lock is granted only when no server uses the file. On
 * success the probe's close also checkpoints the write-ahead log into the file.
 */
export function assertNotInUse(databasePath: string): void {
  const path = resolve(databasePath);
  if (!existsSync(path)) return;
  const probe = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    probe.pragma('locking_mode = EXCLUSIVE');
    probe.prepare('SELECT count(*) FROM sqlite_master').get();
    probe.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('SQLITE_BUSY')) {
      throw new ConflictError(
        `${path} is in use by another process. Stop every server process (and command) using it, then restore.`,
        {},
        'database_in_use',
      );
    }
    throw error;
  } finally {
    probe.close();
  }
}

/**
 * Replaces the database at `databasePath` with the backup `file`, with the server stopped:
 * checks the backup (checkBackup), refuses while anything has the database open, keeps a copy of
 * the current database beside it (`<name>.before-restore-<time>`), then copies the backup's pages
 * into the database in one transaction: a crash midway leaves the old database as it was.
 */
export async function restoreDatabase(
  file: string,
  databasePath: string,
  options: { readonly busyTimeoutMs: number; readonly now?: Date },
): Promise<RestoreResult> {
  const started = performance.now();
  const from = resolve(file);
  const target = resolve(databasePath);
  if (from === target) throw new ValidationError('The backup is the database itself; nothing to restore.');
  const checked = checkBackup(from);
  assertNotInUse(target);
  mkdirSync(dirname(target), { recursive: true });

  let previous: string | null = null;
  if (existsSync(target)) {
    const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
    previous = `${target}.before-restore-${stamp}`;
    await backupDatabase(target, previous, options);
  }

  const backup = new Database(from, { readonly: true, fileMustExist: true });
  try {
    // Into the database through SQLite, not by replacing the file: the database's own journal (or
    // write-ahead log) makes the whole copy one transaction, and its WAL mode is kept.
    await backup.backup(target, { progress: () => ALL_PAGES });
  } finally {
    backup.close();
  }

  const restored = new Database(target, { fileMustExist: true, timeout: options.busyTimeoutMs });
  let after: FileFacts;
  try {
    const problems = integrityProblems(restored);
    if (problems.length > 0)
      throw new Error(`the restored database fails integrity_check: ${problems.join('; ')}`);
    after = facts(restored);
  } finally {
    restored.close();
  }
  if (after.schemaVersion !== checked.schemaVersion) {
    throw new Error(`the restored database has schema ${after.schemaVersion}, not ${checked.schemaVersion}`);
  }
  return {
    database: target,
    restoredFrom: from,
    bytes: statSync(target).size,
    pages: after.pages,
    schemaVersion: after.schemaVersion,
    previous,
    ms: Math.round(performance.now() - started),
  };
}

/** Renames over `to` only once the file's bytes, and then the rename itself, are on disk. */
function durableRename(from: string, to: string): void {
  const fd = openSync(from, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(from, to);
  const dir = openSync(dirname(to), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}
