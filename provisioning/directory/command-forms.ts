// The command form of a directory write. Its rule is written once, as a step that runs inside the
// caller's transaction; the command runs it as one write of its own (store.write), which the store
// may share with writes asked for at the same time (group commit).
import type { SeatLimitError } from '../../domain/errors.js';
import type { Queries, Store } from '../../db/port.js';

/**
 * What a step returns when it was refused for want of a seat and recorded the refusal in its own
 * write: the write commits (keeping the record), then the command throws the refusal.
 */
export class Refused {
  constructor(readonly error: SeatLimitError) {}
}

function outcome<T>(result: T | Refused): T {
  if (result instanceof Refused) throw result.error;
  return result;
}

/** The command that runs `step` as one write transaction of its own. */
export function command<A extends unknown[], T>(
  store: Store,
  step: (q: Queries, ...args: A) => Promise<T | Refused>,
): (...args: A) => Promise<T> {
  return async (...args) => outcome(await store.write((q) => step(q, ...args)));
}
