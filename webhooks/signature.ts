// Signing webhook deliveries, and checking a signature the way a receiver should.
//
// The header is `Seatkeeper-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over the text
// `<t>.<body>` (HMAC: RFC 2104; SHA-256: FIPS 180-4). Signing the timestamp with the body lets a
// receiver refuse a captured delivery replayed later; `v1` names the scheme, so a later one can be
// sent beside it while receivers move over.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Seatkeeper-Signature';
export const EVENT_ID_HEADER = 'Seatkeeper-Event-Id';
export const EVENT_TYPE_HEADER = 'Seatkeeper-Event-Type';
export const DELIVERY_ID_HEADER = 'Seatkeeper-Delivery-Id';

/** How far a receiver should let the timestamp stray from its own clock. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: 32 random bytes (256 bits, the HMAC-SHA256 block's worth of key strength). */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

function mac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header value for `body` sent at `timestamp` (unix seconds). */
export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

/**
 * What a receiver does: parse the header, recompute the MAC over the raw body as received, compare
 * in constant time, and refuse a timestamp outside the tolerance. True when the delivery is genuine.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (header === undefined) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  if (t === undefined || !/^\d{1,12}$/.test(t)) return false;
  const timestamp = Number(t);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(mac(secret, timestamp, body), 'hex');
  return (parts.get('v1') ?? []).some((candidate) => {
    if (!/^[0-9a-f]{64}$/.test(candidate)) return false;
    return timingSafeEqual(Buffer.from(candidate, 'hex'), expected);
  });
}
