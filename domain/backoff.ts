// Retry timing shared by the durable outboxes (mail, webhooks): capped exponential backoff.

export interface Backoff {
  /** The delay after the first failed attempt; it doubles with each further failure… */
  readonly baseMs: number;
  /** …up to this. */
  readonly maxMs: number;
}

/**
 * The delay before attempt `attempts + 1`, after `attempts` failures: base × 2^(attempts−1),
 * capped, with "equal jitter" (a random point in its upper half) so that what failed during one
 * outage does not all come back at once.
 */
export function retryDelayMs(attempts: number, random: () => number, backoff: Backoff): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** exponent);
  return Math.round(delay / 2 + random() * (delay / 2));
}
