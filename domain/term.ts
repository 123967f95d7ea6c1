// The calendar of an annual term, and how much of it is left, as an exact number of months (product.md, "Proration").
//
// Month boundaries are the term start plus k months, always counted from the term start (so a term
// that starts on 31 January has boundaries on 28/29 February, 31 March, 30 April, ...), at 00:00 in
// the contract's time zone. The remaining time on a given day is
//   (whole months after the current month period) + (days left in the period ÷ days in the period),
// where "days left" counts the day itself: a change made on the first day of a period pays for the
// whole period, one made on the last day pays for one day of it.
import { DateTime } from 'luxon';
import { fraction, type Fraction } from './money.js';

export const TERM_MONTHS = 12;

export interface TermPosition {
  /** Index (0-based) of the month period the day falls in. */
  readonly period: number;
  readonly periodStart: DateTime;
  readonly periodEnd: DateTime;
  readonly daysInPeriod: number;
  /** Days from the given day (inclusive) to the end of the period. */
  readonly daysLeft: number;
  /** Months left in the term, exact. */
  readonly remainingMonths: Fraction;
}

/** The k-th month boundary of a term starting on `termStart` (a date in `zone`). */
export function monthBoundary(termStart: string, zone: string, k: number): DateTime {
  const start = DateTime.fromISO(termStart, { zone });
  if (!start.isValid) throw new RangeError(`invalid term start "${termStart}" in zone "${zone}"`);
  // luxon clamps the day to the target month's length (31 Jan + 1 month = 28/29 Feb), and adding k
  // months to the start (never to the previous boundary) keeps the 31st on every later month end.
  return start.plus({ months: k }).startOf('day');
}

const ends = new Map<string, DateTime>();

/** End of the term (exclusive): the start of its first day after 12 months. */
export function termEnd(termStart: string, zone: string): DateTime {
  // A term's end never changes and is asked for on hot paths; DateTime is immutable, so share it.
  const key = `${termStart} ${zone}`;
  let end = ends.get(key);
  if (!end) {
    end = monthBoundary(termStart, zone, TERM_MONTHS);
    if (ends.size >= 10_000) ends.clear();
    ends.set(key, end);
  }
  return end;
}

/**
 * Where `at` falls in the term that starts on `termStart`. Returns undefined outside the term
 * (before its first day, or on or after its end).
 */
export function positionInTerm(termStart: string, zone: string, at: DateTime): TermPosition | undefined {
  const day = at.setZone(zone).startOf('day');
  if (day < monthBoundary(termStart, zone, 0) || day >= termEnd(termStart, zone)) return undefined;

  let period = 0;
  while (monthBoundary(termStart, zone, period + 1) <= day) period += 1;

  const periodStart = monthBoundary(termStart, zone, period);
  const periodEnd = monthBoundary(termStart, zone, period + 1);
  // Calendar days, not 24-hour spans: a period that crosses a DST change still has whole days.
  const daysInPeriod = calendarDays(periodStart, periodEnd);
  const daysLeft = calendarDays(day, periodEnd);
  const wholeMonthsAfter = TERM_MONTHS - (period + 1);
  return {
    period,
    periodStart,
    periodEnd,
    daysInPeriod,
    daysLeft,
    remainingMonths: fraction(wholeMonthsAfter * daysInPeriod + daysLeft, daysInPeriod),
  };
}

function calendarDays(from: DateTime, to: DateTime): number {
  const a = DateTime.utc(from.year, from.month, from.day);
  const b = DateTime.utc(to.year, to.month, to.day);
  return Math.round(b.diff(a, 'days').days);
}
