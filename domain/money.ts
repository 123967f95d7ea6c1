// Money is an integer count of the currency's minor unit (cents, or yen for a zero-decimal
// currency). Fractions appear only inside a computation and are rounded exactly once.

/** An exact non-negative rational number, numerator over a positive denominator. */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

export function fraction(num: bigint | number, den: bigint | number): Fraction {
  const n = BigInt(num);
  const d = BigInt(den);
  if (d <= 0n) throw new RangeError('a fraction needs a positive denominator');
  const g = gcd(n < 0n ? -n : n, d);
  return { num: n / g, den: d / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/**
 * `quantity × unitMinor × factor`, rounded half up (half away from zero for the non-negative
 * amounts billing produces) to a whole minor unit. The only rounding a line amount ever sees.
 */
export function multiplyAndRound(quantity: number, unitMinor: number, factor: Fraction): number {
  assertSafeInteger(quantity, 'quantity');
  assertSafeInteger(unitMinor, 'unit price');
  const exact = BigInt(quantity) * BigInt(unitMinor) * factor.num;
  const twice = 2n * exact + factor.den;
  const rounded =
    twice >= 0n ? twice / (2n * factor.den) : -((-twice + 2n * factor.den - 1n) / (2n * factor.den));
  const result = Number(rounded);
  if (!Number.isSafeInteger(result)) throw new RangeError('amount exceeds the safe integer range');
  return result;
}

function assertSafeInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer, got ${value}`);
}

/** ISO 4217 minor-unit digits (2 for EUR, 0 for JPY, 3 for BHD), from the runtime's ICU data. */
export function currencyDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/** True for a three-letter code the runtime knows as a currency. */
export function isCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  try {
    return Intl.supportedValuesOf('currency').includes(code);
  } catch {
    return false;
  }
}

/** Formats minor units as a plain decimal with the currency's digits: 250000 EUR → "2,500.00". */
export function formatMinor(amountMinor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const negative = amountMinor < 0;
  const text = Math.abs(amountMinor)
    .toString()
    .padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits) || '0';
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const body = digits > 0 ? `${grouped}.${text.slice(text.length - digits)}` : grouped;
  return `${negative ? '-' : ''}${body}`;
}
