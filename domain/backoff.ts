// Retry timing shared by the durable outboxes (mail, webhooks): capped exponential backoff, and
// when a failed row is given up.

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

/** What becomes of an outbox row whose attempt failed: given up, or tried again after a delay. */
export type AfterFailure = { readonly giveUp: true } | { readonly giveUp: false; readonly delayMs: number };

/**
 * The rule both outboxes follow after a failed attempt, `attempts` counting it: give the row up
 * once its attempts are used or the failure is one no retry can fix (`permanent`, as an SMTP 5xx
 * answer), else try again after the backoff delay.
 */
export function afterFailure(
  attempts: number,
  options: {
    readonly maxAttempts: number;
    readonly permanent?: boolean;
    readonly random: () => number;
    readonly backoff: Backoff;
  },
): AfterFailure {
  if (options.permanent === true || attempts >= options.maxAttempts) return { giveUp: true };
  return { giveUp: false, delayMs: retryDelayMs(attempts, options.random, options.backoff) };
}
