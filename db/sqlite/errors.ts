// Turns SQLite's constraint failures into domain errors. Use cases check their rules first and
// raise precise errors; this is the backstop for a race that a pre-check cannot see.
import { ConflictError } from '../../domain/errors.js';

export function translateSqliteError(error: unknown): unknown {
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string') return error;
  if (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new ConflictError('This already exists: another request created it first.', {}, 'already_exists');
  }
  return error;
}
