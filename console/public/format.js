// @ts-check
// How the console writes money, dates and counts for people: money from integer minor units in the
// contract's currency (ISO 4217), instants in the reader's time zone, calendar dates as they are.
/* global navigator */

/** The reader's language, so numbers and dates look as they expect. */
export function locale() {
  return navigator.languages?.[0] ?? navigator.language ?? 'en';
}

/** The minor-unit digits of a currency (2 for EUR, 0 for JPY, 3 for BHD). */
export function currencyDigits(/** @type {string} */ currency) {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/**
 * An amount in minor units as money: 250000 EUR → "€2,500.00" (in the reader's format).
 * @param {number} minor
 * @param {string} currency
 * @param {number} [digits] the currency's minor digits, when the server said so
 */
export function money(minor, currency, digits = currencyDigits(currency)) {
  const format = new Intl.NumberFormat(locale(), {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // Integer minor units are exact; only the display divides.
  return format.format(minor / 10 ** digits);
}

/** A monthly price in minor units, e.g. "€50.00 a month". */
export function perMonth(
  /** @type {number} */ minor,
  /** @type {string} */ currency,
  /** @type {number} [digits] */ digits,
) {
  return `${money(minor, currency, digits)} a month`;
}

/** An ISO 8601 instant as a date and time in the reader's zone; '' for null. */
export function instant(/** @type {string | null | undefined} */ iso) {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/** A calendar date (YYYY-MM-DD, or the date part of an instant written in its own zone). */
export function date(/** @type {string | null | undefined} */ iso) {
  if (!iso) return '';
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!match) return iso;
  const at = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(at);
}

/** A whole number with the reader's grouping. */
export function count(/** @type {number} */ n) {
  return new Intl.NumberFormat(locale()).format(n);
}

/** A seat state or source as words: "awaiting_seat" → "awaiting seat". */
export function words(/** @type {string | null | undefined} */ value) {
  return value ? value.replace(/_/g, ' ') : '';
}
