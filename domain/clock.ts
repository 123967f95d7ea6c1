// Time comes from here and nowhere else, so tests (and rehearsals) can say what "now" is.
import { DateTime } from 'luxon';

export interface Clock {
  /** The current instant, in UTC. Convert to a contract's zone where a calendar date matters. */
  now(): DateTime;
}

export const systemClock: Clock = { now: () => DateTime.utc() };

/** A clock that says what it is told; `set` and `advance` move it. */
export class FixedClock implements Clock {
  private current: DateTime;

  constructor(start: DateTime | string) {
    this.current = typeof start === 'string' ? parseInstant(start) : start.toUTC();
  }

  now(): DateTime {
    return this.current;
  }

  set(to: DateTime | string): void {
    this.current = typeof to === 'string' ? parseInstant(to) : to.toUTC();
  }

  advance(by: Parameters<DateTime['plus']>[0]): void {
    this.current = this.current.plus(by);
  }
}

/** Parses an ISO 8601 instant or date (a bare date means midnight UTC); throws on anything else. */
export function parseInstant(text: string): DateTime {
  const parsed = DateTime.fromISO(text, { zone: 'utc', setZone: false });
  if (!parsed.isValid) throw new RangeError(`"${text}" is not an ISO 8601 date or instant`);
  return parsed.toUTC();
}
