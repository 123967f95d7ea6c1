// PostgreSQL's errors, by SQLSTATE (PostgreSQL manual, appendix A): which end a unit of work that
// is worth running again, and which constraint failures become domain errors, as on SQLite
// (db/sqlite/errors.ts).
import { ConflictError } from '../../domain/errors.js';

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK_DETECTED = '40P01';
const UNIQUE_VIOLATION = '23505';

function sqlState(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** A failure that says nothing about the unit itself: running it again may well succeed. */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === SERIALIZATION_FAILURE || state === DEADLOCK_DETECTED;
}

export function translatePostgresError(error: unknown): unknown {
  if (sqlState(error) === UNIQUE_VIOLATION) {
    return new ConflictError('This already exists: another request created it first.', {}, 'already_exists');
  }
  return error;
}
