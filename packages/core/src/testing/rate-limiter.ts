/**
 * Limits of the fake provider's rate limiter. Each limit is a token bucket holding up to one minute's
 * allowance, full at start and refilled continuously (`limit / 60000` per millisecond), so a burst of
 * up to `limit` passes at once and then requests pass at the steady rate.
 *
 * @example
 * ```ts
 * const rateLimit: FakeRateLimit = { requestsPerMinute: 600, tokensPerMinute: 100_000 };
 * ```
 */
export interface FakeRateLimit {
  /** Requests allowed per minute (each request costs 1). @default unlimited */
  requestsPerMinute?: number;
  /**
   * Tokens allowed per minute. A request costs `ceil(prompt characters / 4)` plus its `max_tokens`
   * (or `max_completion_tokens`; 16 when neither is set), like the providers' own estimate.
   * @default unlimited
   */
  tokensPerMinute?: number;
}

/** State of one bucket right after a decision, as rate-limit headers report it. */
export interface BucketReport {
  /** The per-minute limit. */
  limit: number;
  /** Whole units left in the bucket. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

/** The outcome of asking the limiter for one request. */
export interface RateLimitDecision {
  /** True when the request fits and its cost was taken. */
  allowed: boolean;
  /** When refused: milliseconds until the request would fit; `undefined` when it never can. */
  retryAfterMs: number | undefined;
  /** When refused: the bucket that was short (`tokens` wins when both are). */
  exceeded: 'requests' | 'tokens' | undefined;
  /** The request bucket, when a request limit is set. */
  requests: BucketReport | undefined;
  /** The token bucket, when a token limit is set. */
  tokens: BucketReport | undefined;
}

const minuteMs = 60_000;

/** A token bucket refilled continuously. */
class Bucket {
  private level: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.updatedAt = now;
  }

  /** Milliseconds the bucket needs to gain `amount` (multiplying first keeps round numbers exact). */
  private msToGain(amount: number): number {
    return Math.ceil((amount * minuteMs) / this.capacity);
  }

  refill(now: number): void {
    if (now <= this.updatedAt) return;
    this.level = Math.min(this.capacity, this.level + ((now - this.updatedAt) * this.capacity) / minuteMs);
    this.updatedAt = now;
  }

  /** Milliseconds until `amount` fits: 0 when it fits now, Infinity when it never can. */
  waitFor(amount: number): number {
    if (amount > this.capacity) return Number.POSITIVE_INFINITY;
    if (amount <= this.level) return 0;
    return this.msToGain(amount - this.level);
  }

  take(amount: number): void {
    this.level -= amount;
  }

  report(): BucketReport {
    return {
      limit: this.capacity,
      remaining: Math.max(0, Math.floor(this.level)),
      resetMs: this.msToGain(this.capacity - this.level),
    };
  }
}

/** Decides whether each request fits the configured limits. */
export interface RateLimiter {
  /** Takes one request of `tokenCost` tokens if it fits in both buckets; takes nothing otherwise. */
  take(tokenCost: number): RateLimitDecision;
}

/**
 * Creates the rate limiter behind `startFakeProvider({ rateLimit })`. `now` gives milliseconds on any
 * monotonic origin.
 */
export function createRateLimiter(limits: FakeRateLimit, now: () => number): RateLimiter {
  const start = now();
  const requests =
    limits.requestsPerMinute === undefined ? undefined : new Bucket(limits.requestsPerMinute, start);
  const tokens = limits.tokensPerMinute === undefined ? undefined : new Bucket(limits.tokensPerMinute, start);
  return {
    take(tokenCost) {
      const time = now();
      requests?.refill(time);
      tokens?.refill(time);
      const requestWait = requests === undefined ? 0 : requests.waitFor(1);
      const tokenWait = tokens === undefined ? 0 : tokens.waitFor(tokenCost);
      const wait = Math.max(requestWait, tokenWait);
      if (wait === 0) {
        requests?.take(1);
        tokens?.take(tokenCost);
      }
      return {
        allowed: wait === 0,
        retryAfterMs: wait === 0 || wait === Number.POSITIVE_INFINITY ? undefined : wait,
        exceeded: wait === 0 ? undefined : tokenWait > 0 ? 'tokens' : 'requests',
        requests: requests?.report(),
        tokens: tokens?.report(),
      };
    },
  };
}
