// The proration rule of product.md, checked on the calendar cases that break naive arithmetic.
import { test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { DateTime } from 'luxon';
import { fraction, formatMinor, multiplyAndRound } from '../../../domain/money.js';
import { monthBoundary, positionInTerm, termEnd } from '../../../domain/term.js';

const at = (iso: string, zone = 'Europe/Berlin') => DateTime.fromISO(iso, { zone });
const months = (start: string, day: string, zone = 'Europe/Berlin') => {
  const p = positionInTerm(start, zone, at(day, zone));
  assert.ok(p, `${day} is inside the term starting ${start}`);
  return `${p.remainingMonths.num}/${p.remainingMonths.den}`;
};

test('When the change is on the first day of a month period, then whole months remain', () => {
  assert.equal(months('2026-01-01', '2026-03-01'), '10/1');
  assert.equal(months('2026-01-01', '2026-01-01'), '12/1');
});

test('When the change is mid-period, then the days left (the day itself included) over the period length are added', () => {
  // 16 March: 9 whole months (April..December) + 16 of March's 31 days.
  assert.equal(months('2026-01-01', '2026-03-16'), `${9 * 31 + 16}/31`);
});

test('When a term starts on the 31st, then boundaries are clamped month ends counted from the start', () => {
  assert.equal(monthBoundary('2026-01-31', 'UTC', 1).toISODate(), '2026-02-28');
  assert.equal(
    monthBoundary('2026-01-31', 'UTC', 2).toISODate(),
    '2026-03-31',
    'not 28 March: counted from the start',
  );
  assert.equal(monthBoundary('2026-01-31', 'UTC', 3).toISODate(), '2026-04-30');
  // 10 March lies in the period 28 Feb .. 31 Mar (31 days); 21 days left; 10 whole months after it.
  assert.equal(months('2026-01-31', '2026-03-10', 'UTC'), `${10 * 31 + 21}/31`);
});

test('When February is in a leap year, then its period has 29 days', () => {
  const p = positionInTerm('2028-01-01', 'UTC', at('2028-02-15', 'UTC'))!;
  assert.equal(p.daysInPeriod, 29);
  assert.equal(p.daysLeft, 15);
  assert.equal(monthBoundary('2028-01-31', 'UTC', 1).toISODate(), '2028-02-29');
});

test('When the change is on the last day of the term, then one day of the last period is billed', () => {
  const p = positionInTerm('2026-01-01', 'Europe/Berlin', at('2026-12-31T23:30'))!;
  assert.equal(p.period, 11);
  assert.deepEqual([p.remainingMonths.num, p.remainingMonths.den], [1n, 31n]);
  assert.equal(
    positionInTerm('2026-01-01', 'Europe/Berlin', at('2027-01-01T00:00')),
    undefined,
    'the term has ended',
  );
  assert.equal(termEnd('2026-01-01', 'Europe/Berlin').toISO(), '2027-01-01T00:00:00.000+01:00');
});

test('When the instant is late evening UTC, then the day is the one in the contract time zone', () => {
  // 28 Feb 23:30 UTC is already 1 March in Berlin: a whole month period remains, 10 months.
  const p = positionInTerm('2026-01-01', 'Europe/Berlin', DateTime.fromISO('2026-02-28T23:30:00Z'))!;
  assert.equal(p.remainingMonths.num / p.remainingMonths.den, 10n);
});

test('When a period spans a daylight-saving change, then it still counts calendar days', () => {
  const p = positionInTerm('2026-03-15', 'Europe/Berlin', at('2026-03-29T12:00'))!; // DST starts 29 March
  assert.equal(p.daysInPeriod, 31);
  assert.equal(p.daysLeft, 17);
});

test('When a line is rounded, then it is rounded once, half up, to the minor unit', () => {
  assert.equal(multiplyAndRound(5, 5000, fraction(295, 31)), 237903); // 237903.2…
  assert.equal(multiplyAndRound(10, 10000, fraction(295, 31)), 951613); // 951612.9…
  assert.equal(multiplyAndRound(1, 1, fraction(1, 2)), 1, 'exactly half rounds up');
  assert.equal(multiplyAndRound(1, 1, fraction(1, 3)), 0);
  assert.equal(multiplyAndRound(3, 7, fraction(0, 1)), 0);
});

test('When amounts are formatted, then each currency shows its own minor-unit digits', () => {
  assert.equal(formatMinor(250000, 'EUR'), '2,500.00');
  assert.equal(formatMinor(951613, 'USD'), '9,516.13');
  assert.equal(formatMinor(5, 'EUR'), '0.05');
  assert.equal(formatMinor(1234567, 'JPY'), '1,234,567');
  assert.equal(formatMinor(1234, 'BHD'), '1.234');
});
