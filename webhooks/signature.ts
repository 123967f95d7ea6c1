// Signing webhook deliveries in the Standard Webhooks format (standardwebhooks.com, specification
// "Signature scheme"), so that any stock verifier checks them.
//
// Each delivery carries `webhook-id` (the event id, the same in every retry: receivers deduplicate
// by it), `webhook-timestamp` (unix seconds of the attempt) and `webhook-signature`: `v1,` and the
// base64 HMAC-SHA256 (RFC 2104; FIPS 180-4) of `<id>.<timestamp>.<body>`, several of them separated
// by spaces when more than one key signs. Signing the id and the timestamp with the body lets a
// receiver refuse a captured delivery replayed later. A secret is shown as `whsec_<base64>`; the
// HMAC key is the base64-decoded part.
//
// Endpoints made before this format have a secret of another form (`whsec_` and 43 base64url
// characters) whose key was the whole text. They keep that key, and their deliveries also carry the
// earlier `Seatkeeper-Signature` header until the secret is rotated (docs/webhooks.md, "Moving
// from Seatkeeper-Signature").
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
/** Not signed, not needed to verify: for routing without parsing, and to find the delivery in the log. */
export const EVENT_TYPE_HEADER = 'Seatkeeper-Event-Type';
export const DELIVERY_ID_HEADER = 'Seatkeeper-Delivery-Id';
/** The earlier signature and event id headers, sent only to endpoints with a secret of the earlier form. */
export const LEGACY_SIGNATURE_HEADER = 'Seatkeeper-Signature';
export const LEGACY_EVENT_ID_HEADER = 'Seatkeeper-Event-Id';

/** How far a receiver should let the timestamp stray from its own clock (the specification's 5 minutes). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';
/** 256 bits: HMAC-SHA256's full strength (RFC 2104 §3: a key as long as the hash output). */
const KEY_BYTES = 32;
/** Padded standard base64 (RFC 4648 §4), what `whsec_` secrets carry. */
const STANDARD_SECRET = /^whsec_((?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/;
/** The key sizes the specification allows: 24 to 64 bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/** A new endpoint secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(KEY_BYTES).toString('base64');
}

function standardKey(secret: string): Buffer | undefined {
  const base64 = STANDARD_SECRET.exec(secret)?.[1];
  if (base64 === undefined) return undefined;
  const key = Buffer.from(base64, 'base64');
  return key.length >= MIN_KEY_BYTES && key.length <= MAX_KEY_BYTES ? key : undefined;
}

/**
 * True for a secret of the form issued before the Standard Webhooks format (base64url, no padding:
 * never valid padded base64, so the two forms cannot be mistaken for each other).
 */
export function isLegacySecret(secret: string): boolean {
  return standardKey(secret) === undefined;
}

/** The HMAC key of a stored secret: the decoded `whsec_` part, or the whole text of an earlier one. */
export function signingKey(secret: string): Buffer {
  return standardKey(secret) ?? Buffer.from(secret, 'utf8');
}

/**
 * The secret as a Standard Webhooks verifier takes it. An earlier secret's key is its whole text, so
 * its standard form is `whsec_` and the base64 of that text: a receiver can work it out from the
 * secret it already has, with nothing to rotate.
 */
export function standardSecret(secret: string): string {
  return isLegacySecret(secret) ? SECRET_PREFIX + Buffer.from(secret, 'utf8').toString('base64') : secret;
}

/** The `webhook-signature` value: one `v1,<base64>` per secret, separated by spaces. */
export function sign(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => {
      const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`);
      return `v1,${mac.digest('base64')}`;
    })
    .join(' ');
}

function legacyMac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The earlier header, `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` keyed by the secret's text. */
export function legacySignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${legacyMac(secret, timestamp, body)}`;
}

export interface SignedDelivery {
  readonly secret: string;
  /**
   * The secret a rotation replaced, while its overlap runs: it signs too, after the new one, so
   * a receiver holding either verifies the delivery. Null or absent otherwise.
   */
  readonly previousSecret?: string | null;
  readonly eventId: string;
  readonly eventType: string;
  readonly deliveryId: number;
  /** Unix seconds of this attempt: a retry is signed afresh, over the same body. */
  readonly timestamp: number;
  readonly body: string;
}

/** Every header that identifies and signs one attempt of a delivery. */
export function deliveryHeaders(d: SignedDelivery): Record<string, string> {
  return {
    [WEBHOOK_ID_HEADER]: d.eventId,
    [WEBHOOK_TIMESTAMP_HEADER]: String(d.timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: sign(
      d.previousSecret ? [d.secret, d.previousSecret] : [d.secret],
      d.eventId,
      d.timestamp,
      d.body,
    ),
    [EVENT_TYPE_HEADER]: d.eventType,
    [DELIVERY_ID_HEADER]: String(d.deliveryId),
    ...(isLegacySecret(d.secret)
      ? {
          [LEGACY_EVENT_ID_HEADER]: d.eventId,
          [LEGACY_SIGNATURE_HEADER]: legacySignature(d.secret, d.timestamp, d.body),
        }
      : {}),
  };
}

/**
 * What a receiver of the earlier header does: parse it, recompute the MAC over the raw body as
 * received, compare in constant time, and refuse a timestamp outside the tolerance.
 */
export function verifyLegacySignature(
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
  const expected = Buffer.from(legacyMac(secret, timestamp, body), 'hex');
  return (parts.get('v1') ?? []).some((candidate) => {
    if (!/^[0-9a-f]{64}$/.test(candidate)) return false;
    return timingSafeEqual(Buffer.from(candidate, 'hex'), expected);
  });
}
