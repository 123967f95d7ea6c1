// Turns SQLite's constraint failures into domain errors. Use cases check their rules first and
// raise precise errors; this is the backstop for a race that a pre-check cannot see.
import { ConflictError } from '../../domain/errors.js';

// SQLite stores text holding U+0000, which PostgreSQL refuses (db/postgres/errors.ts): the edges
// refuse it on both (domain/nul.ts). A check of every bound string in db/sqlite/sql.ts was measured
// at 1.6–1.9 % of an insert of a User's row (8 strings, one of 2 kB), more than the hot path of
// every write should pay for a value no edge lets through, so there is none.
export function translateSqliteError(error: unknown): unknown {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return error;
  if (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new ConflictError('This already exists: another request created it first.', {}, 'already_exists');
  }
  return error;
}
