// A token bucket per SCIM token: `perSecond` sustained, `burst` at once. In memory and per process,
// which bounds each server process; the default sits far above Entra's 25 requests per second.

export interface RateLimit {
  /** Requests per second allowed per token (0 turns limiting off). */
  readonly perSecond: number;
  readonly burst: number;
}

export function createRateLimiter(
  { perSecond, burst }: RateLimit,
  now: () => number = () => performance.now() / 1000,
) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes one request's token; 0 if allowed, else the seconds to wait. */
    take(key: string): number {
      if (perSecond <= 0) return 0;
      const t = now();
      const bucket = buckets.get(key) ?? { tokens: burst, at: t };
      bucket.tokens = Math.min(burst, bucket.tokens + (t - bucket.at) * perSecond);
      bucket.at = t;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (1 - bucket.tokens) / perSecond;
    },
  };
}
