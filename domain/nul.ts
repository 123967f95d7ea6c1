// The NUL character (U+0000) in text from outside. PostgreSQL's text cannot hold it, so it is
// refused at each edge, on either backend, in a parsed body or query, with this one error (each
// protocol answers it as it answers any ValidationError: SCIM 400 invalidValue, problem JSON 400,
// the SSO error page). PostgreSQL's own refusal becomes the same error as a last line of defence
// (db/postgres/errors.ts); SQLite would store it, so the edges are what make the two agree (see
// db/sqlite/errors.ts). docs/rules.md "Text" states the rule.
import { ValidationError, type ErrorDetails } from './errors.js';

/** The stable code of the refusal, the same on every edge and both backends. */
export const NUL_CHARACTER = 'nul_character';

const NUL = '\u0000';
const NOT_ACCEPTED = 'Text containing the NUL character (U+0000) cannot be stored or searched for.';

/** The refusal, with `details` saying where, when known. */
export function nulCharacterError(message = NOT_ACCEPTED, details: ErrorDetails = {}): ValidationError {
  return new ValidationError(message, details, NUL_CHARACTER);
}

/** True when a string, or an object's key or string value at any depth, holds U+0000. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (typeof value !== 'object' || value === null) return false;
  // An explicit stack, not recursion: a deeply nested body cannot overflow it. Parsed JSON (and a
  // parsed query) is a tree, so nothing is visited twice.
  const stack: object[] = [value];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const items: readonly unknown[] = Array.isArray(next) ? next : Object.values(next);
    if (!Array.isArray(next) && Object.keys(next).some((key) => key.includes(NUL))) return true;
    for (const item of items) {
      if (typeof item === 'string') {
        if (item.includes(NUL)) return true;
      } else if (typeof item === 'object' && item !== null) stack.push(item);
    }
  }
  return false;
}

const pointerPart = (key: string): string =>
  key.replaceAll('~', '~0').replaceAll('/', '~1').replaceAll(NUL, '\\u0000');

/**
 * The JSON Pointer (RFC 6901) of the first string, key or value, that holds U+0000 in a parsed
 * JSON value or query, or undefined when none does. The NUL in a pointer to a key is shown as
 * `\u0000`. The common case (none) is one walk that builds no pointers; only a value that holds
 * one is walked again to say where.
 */
export function findNul(value: unknown): string | undefined {
  if (!holdsNul(value)) return undefined;
  const stack: [unknown, string][] = [[value, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, at] = next;
    if (typeof item === 'string') {
      if (item.includes(NUL)) return at === '' ? '/' : at;
    } else if (typeof item === 'object' && item !== null) {
      const entries: [string, unknown][] = Array.isArray(item)
        ? item.map((v, i): [string, unknown] => [String(i), v])
        : Object.entries(item);
      // Pushed last to first, so the first offender in document order is found first.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i]!;
        // A key that holds one is itself the offender: pushed as a string, it is found in turn.
        stack.push([key.includes(NUL) ? key : v, `${at}/${pointerPart(key)}`]);
      }
    }
  }
  return '/';
}

/**
 * Refuses a parsed body, query or set of path parameters that holds U+0000 anywhere, with the
 * ValidationError every edge answers 400; `details.errors` points at the first offender, as the
 * admin API's schema errors do.
 */
export function refuseNul(value: unknown, where: 'body' | 'query' | 'path'): void {
  const pointer = findNul(value);
  if (pointer === undefined) return;
  const detail = 'Text may not contain the NUL character (U+0000).';
  throw nulCharacterError(`Invalid ${where}: ${pointer === '/' ? '' : `${pointer.slice(1)}: `}${detail}`, {
    errors: [{ in: where, pointer, detail }],
  });
}
