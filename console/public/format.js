// @ts-check
// How the console writes money, dates and counts for people, in the language in use (i18n.js):
// money from integer minor units in the contract's currency (ISO 4217), instants in the reader's
// time zone or a zone given (the contract's), calendar dates as they are.
import { locale, t } from './i18n.js';

export { locale };

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
  return t('format.perMonth', { amount: money(minor, currency, digits) });
}

/**
 * An ISO 8601 instant as a date and time in the reader's zone, or in `timeZone` (an IANA zone, e.g.
 * the contract's) with the zone named; '' for null.
 * @param {string | null | undefined} iso
 * @param {string} [timeZone]
 */
export function instant(iso, timeZone) {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(
    locale(),
    timeZone
      ? { dateStyle: 'medium', timeStyle: 'short', timeZone, timeZoneName: 'short' }
      : { dateStyle: 'medium', timeStyle: 'short' },
  ).format(at);
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

/**
 * A seat state, source, status or tier as words in the language in use ("awaiting_seat" →
 * "awaiting seat", "in Erwartung eines Platzes"), from the catalogue's `value.<name>` messages;
 * a value it has no word for is shown with spaces for underscores.
 */
export function words(/** @type {string | null | undefined} */ value) {
  if (!value) return '';
  const key = `value.${value}`;
  const said = t(key);
  return said === key ? value.replace(/_/g, ' ') : said;
}
