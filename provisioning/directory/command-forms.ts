// The two forms of a directory write command. Its rule is written once, as a step that runs inside
// the caller's transaction; a form only chooses the runner: a write of its own (store.write), or one
// write of a group commit (store.writeBatched), where requests that arrive together share one
// transaction and one fsync, and each promise settles only after the shared COMMIT returned.
import type { SeatLimitError } from '../../domain/errors.js';
import type { Queries, Store } from '../../db/port.js';

/**
 * What a step returns when it was refused for want of a seat and recorded the refusal in its own
 * write: the write commits (keeping the record), then the command throws the refusal.
 */
export class Refused {
  constructor(readonly error: SeatLimitError) {}
}

export interface CommandForms<A extends unknown[], T> {
  /** One write transaction of its own. */
  readonly write: (...args: A) => T;
  /** One write of a group commit: same rule, same result, same error, after the shared COMMIT. */
  readonly batched: (...args: A) => Promise<T>;
}

function outcome<T>(result: T | Refused): T {
  if (result instanceof Refused) throw result.error;
  return result;
}

export function commandForms<A extends unknown[], T>(
  store: Store,
  step: (q: Queries, ...args: A) => T | Refused,
): CommandForms<A, T> {
  return {
    write: (...args) => outcome(store.write((q) => step(q, ...args))),
    batched: async (...args) => outcome(await store.writeBatched((q) => step(q, ...args))),
  };
}
