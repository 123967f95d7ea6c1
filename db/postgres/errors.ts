// PostgreSQL's errors, by SQLSTATE (PostgreSQL manual, appendix A): which end a unit of work that
// is worth running again, and which constraint failures become domain errors, as on SQLite
// (db/sqlite/errors.ts).
import { ConflictError } from '../../domain/errors.js';
import { nulCharacterError } from '../../domain/nul.js';

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK_DETECTED = '40P01';
const UNIQUE_VIOLATION = '23505';
/** A text value PostgreSQL cannot hold: U+0000 in a parameter. */
const CHARACTER_NOT_IN_REPERTOIRE = '22021';
/** A JSON text it cannot read as jsonb: the escape \u0000. */
const UNTRANSLATABLE_CHARACTER = '22P05';

function sqlState(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** A failure that says nothing about the unit itself: running it again may well succeed. */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === SERIALIZATION_FAILURE || state === DEADLOCK_DETECTED;
}

export function translatePostgresError(error: unknown): unknown {
  const state = sqlState(error);
  if (state === UNIQUE_VIOLATION) {
    return new ConflictError('This already exists: another request created it first.', {}, 'already_exists');
  }
  // PostgreSQL's text cannot hold the NUL character: a value carrying one is the caller's to
  // change, never a server error (a 400 in each protocol's form). The edges refuse it before it
  // gets here (domain/nul.ts), with the same error.
  if (state === CHARACTER_NOT_IN_REPERTOIRE || state === UNTRANSLATABLE_CHARACTER) {
    return nulCharacterError();
  }
  return error;
}
