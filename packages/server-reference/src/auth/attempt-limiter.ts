import type { Queryable } from '../db/database.js';
import { ApiError } from '../http/api-error.js';

/** How many attempts one key may make per window. */
export interface AttemptLimit {
  /** Attempts allowed per window. */
  max: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

/**
 * Brute-force limits, per account (the e-mail address, known or not) and per client address.
 * Counters live in Postgres, so every API instance shares them.
 *
 * @example
 * ```ts
 * const limits: AttemptLimits = { ...defaultAttemptLimits, loginPerAccount: { max: 3, windowMs: 60_000 } };
 * ```
 */
export interface AttemptLimits {
  /** Failed logins per account. @default 10 per 15 minutes */
  loginPerAccount: AttemptLimit;
  /** Failed logins per client address. @default 50 per 15 minutes */
  loginPerIp: AttemptLimit;
  /** Reset and verification mails per account. @default 5 per hour */
  mailPerAccount: AttemptLimit;
  /** Reset, verification and sign-up requests per client address. @default 30 per hour */
  mailPerIp: AttemptLimit;
  /** Token redemptions (reset confirm, verify, invitation accept) per client address. @default 30 per 15 minutes */
  tokenPerIp: AttemptLimit;
}

/**
 * The limits used unless the server is given others.
 *
 * @example
 * ```ts
 * createServer({ config, attemptLimits: { loginPerIp: { ...defaultAttemptLimits.loginPerIp, max: 200 } } });
 * ```
 */
export const defaultAttemptLimits: AttemptLimits = {
  loginPerAccount: { max: 10, windowMs: 15 * 60_000 },
  loginPerIp: { max: 50, windowMs: 15 * 60_000 },
  mailPerAccount: { max: 5, windowMs: 60 * 60_000 },
  mailPerIp: { max: 30, windowMs: 60 * 60_000 },
  tokenPerIp: { max: 30, windowMs: 15 * 60_000 },
};

/** One counter to check or bump: a bucket name and its limit. */
export interface AttemptBucket {
  /** E.g. `login:account:ada@example.com` or `login:ip:203.0.113.9`. */
  key: string;
  limit: AttemptLimit;
}

function windowStart(now: Date, limit: AttemptLimit): Date {
  return new Date(Math.floor(now.getTime() / limit.windowMs) * limit.windowMs);
}

function tooMany(bucket: AttemptBucket, now: Date): ApiError {
  const end = windowStart(now, bucket.limit).getTime() + bucket.limit.windowMs;
  return new ApiError({
    code: 'too-many-attempts',
    message: 'Too many attempts; try again later',
    retryAfterSeconds: Math.max(1, Math.ceil((end - now.getTime()) / 1000)),
  });
}

/**
 * Throws `too-many-attempts` (429, with `Retry-After`) when any bucket is already at its limit in
 * the current fixed window. Used before checking a password, so failures are counted separately.
 *
 * @example
 * ```ts
 * await assertUnderLimit(database, [{ key: `login:ip:${ip}`, limit: limits.loginPerIp }], now);
 * ```
 */
export async function assertUnderLimit(
  queryable: Queryable,
  buckets: readonly AttemptBucket[],
  now: Date,
): Promise<void> {
  for (const bucket of buckets) {
    const { rows } = await queryable.query<{ count: number }>(
      'SELECT count FROM rate_limit_counters WHERE bucket = $1 AND window_start = $2',
      [bucket.key, windowStart(now, bucket.limit)],
    );
    if ((rows[0]?.count ?? 0) >= bucket.limit.max) throw tooMany(bucket, now);
  }
}

/**
 * Counts one attempt in every bucket (atomically, so concurrent instances agree) and drops the
 * bucket's expired windows.
 *
 * @example
 * ```ts
 * if (!passwordMatches) await countAttempt(database, buckets, now);
 * ```
 */
export async function countAttempt(
  queryable: Queryable,
  buckets: readonly AttemptBucket[],
  now: Date,
): Promise<number[]> {
  const counts: number[] = [];
  for (const bucket of buckets) {
    const start = windowStart(now, bucket.limit);
    const { rows } = await queryable.query<{ count: number }>(
      `INSERT INTO rate_limit_counters (bucket, window_start, count) VALUES ($1, $2, 1)
       ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
       RETURNING count`,
      [bucket.key, start],
    );
    await queryable.query('DELETE FROM rate_limit_counters WHERE bucket = $1 AND window_start < $2', [
      bucket.key,
      start,
    ]);
    counts.push(rows[0]?.count ?? 1);
  }
  return counts;
}

/**
 * Counts one attempt and throws `too-many-attempts` once any bucket went over its limit (for
 * actions where every request counts: reset mails, sign-ups, token redemption).
 *
 * @example
 * ```ts
 * await consumeAttempt(database, [{ key: `reset:ip:${ip}`, limit: limits.mailPerIp }], now);
 * ```
 */
export async function consumeAttempt(
  queryable: Queryable,
  buckets: readonly AttemptBucket[],
  now: Date,
): Promise<void> {
  const counts = await countAttempt(queryable, buckets, now);
  for (const [index, bucket] of buckets.entries()) {
    if ((counts[index] ?? 0) > bucket.limit.max) throw tooMany(bucket, now);
  }
}
