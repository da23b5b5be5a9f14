import * as z from 'zod';
import { type Clock, systemClock } from '../clock.js';
import { abortedError } from '../internal/policies-abort.js';
import { parsePolicyOptions } from '../internal/policies-options.js';
import { type CancelTimer, startTimer } from '../internal/policies-timer.js';
import { WaitQueue } from '../internal/policies-wait-queue.js';
import type { Policy, PolicyContext } from './policy.js';

/**
 * Options of {@link createRateLimiter}. Leave both limits out for no limit.
 *
 * @example
 * ```ts
 * const options: RateLimiterOptions = { requestsPerMinute: 500, tokensPerMinute: 200_000 };
 * ```
 */
export interface RateLimiterOptions {
  /** Requests allowed per minute; also the burst allowed from idle. @default no limit */
  requestsPerMinute?: number;
  /** Tokens allowed per minute; also the burst allowed from idle. @default no limit */
  tokensPerMinute?: number;
  /** Time source for refills and waits. @default systemClock */
  clock?: Clock;
}

/**
 * Paces calls to a provider by requests and tokens per minute; made by {@link createRateLimiter}.
 *
 * @example
 * ```ts
 * const limiter: RateLimiter = createRateLimiter({ tokensPerMinute: 200_000 });
 * await limiter.acquire(1_200, signal);
 * ```
 */
export interface RateLimiter {
  /**
   * Waits until one request and `tokens` tokens are available, then takes them (a negative, NaN or
   * infinite count counts as 0). Callers are served in arrival order. Rejects with an `aborted`
   * LLMBatchError, and leaves the queue, when `signal` aborts.
   */
  acquire(tokens: number, signal?: AbortSignal): Promise<void>;
  /**
   * This limiter as a {@link Policy}: each `execute` acquires with the caller's signal, then calls
   * `fn`. `tokens` (default 0) is a fixed count or is computed from the context on each call. Put it
   * inside the retry policy so that every attempt is paced.
   */
  asPolicy(tokens?: number | ((context: PolicyContext) => number)): Policy;
}

const rateSchema = z.number().positive().optional();
const optionsSchema = z.object({ requestsPerMinute: rateSchema, tokensPerMinute: rateSchema });

const minuteMs = 60_000;
// Refill arithmetic is floating point; a bucket this close to the amount counts as holding it.
const epsilon = 1e-9;
const resolved: Promise<void> = Promise.resolve();

class Bucket {
  #level: number;
  #refilledAt: number;
  constructor(
    readonly capacity: number,
    now: number,
  ) {
    this.#level = capacity;
    this.#refilledAt = now;
  }

  refill(now: number): void {
    if (now > this.#refilledAt) {
      this.#level = Math.min(
        this.capacity,
        this.#level + ((now - this.#refilledAt) * this.capacity) / minuteMs,
      );
    }
    this.#refilledAt = Math.max(now, this.#refilledAt);
  }

  /** An amount above the capacity only needs a full bucket, else it could never go through. */
  holds(amount: number): boolean {
    return this.#level + epsilon >= Math.min(amount, this.capacity);
  }

  /** The level may go below zero after an oversized amount: later callers wait for that debt too. */
  take(amount: number): void {
    this.#level -= amount;
  }

  msUntil(amount: number): number {
    const missing = Math.min(amount, this.capacity) - this.#level;
    return missing <= 0 ? 0 : Math.ceil((missing * minuteMs) / this.capacity);
  }
}

const unlimitedPolicy: Policy = {
  execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
    return fn(context);
  },
};

class Limiter implements RateLimiter {
  readonly #requests: Bucket | undefined;
  readonly #tokens: Bucket | undefined;
  readonly #clock: Clock;
  readonly #waiters = new WaitQueue<number, undefined>(() => {
    // The caller that left may have been the head that everybody else waited behind.
    this.#stopTimer();
    this.#drain();
  });
  #cancelTimer: CancelTimer | undefined;

  constructor(options: RateLimiterOptions) {
    const parsed = parsePolicyOptions('createRateLimiter', optionsSchema, options);
    this.#clock = options.clock ?? systemClock;
    const now = this.#clock.now();
    this.#requests =
      parsed.requestsPerMinute === undefined ? undefined : new Bucket(parsed.requestsPerMinute, now);
    this.#tokens = parsed.tokensPerMinute === undefined ? undefined : new Bucket(parsed.tokensPerMinute, now);
  }

  acquire(tokens: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (this.#requests === undefined && this.#tokens === undefined) return resolved;
    const amount = Number.isFinite(tokens) ? Math.max(tokens, 0) : 0;
    if (this.#waiters.size === 0 && this.#tryTake(amount)) return resolved;
    const admitted = this.#waiters.wait(amount, signal);
    this.#startTimer();
    return admitted;
  }

  asPolicy(tokens: number | ((context: PolicyContext) => number) = 0): Policy {
    if (this.#requests === undefined && this.#tokens === undefined) return unlimitedPolicy;
    const limiter = this;
    return {
      async execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
        await limiter.acquire(typeof tokens === 'number' ? tokens : tokens(context), context.signal);
        return fn(context);
      },
    };
  }

  #tryTake(amount: number): boolean {
    const now = this.#clock.now();
    const requests = this.#requests;
    const tokens = this.#tokens;
    requests?.refill(now);
    tokens?.refill(now);
    if ((requests !== undefined && !requests.holds(1)) || (tokens !== undefined && !tokens.holds(amount))) {
      return false;
    }
    requests?.take(1);
    tokens?.take(amount);
    return true;
  }

  /** Lets waiting callers through in order while the buckets hold enough, then waits for the next. */
  #drain(): void {
    for (let amount = this.#waiters.head(); amount !== undefined; amount = this.#waiters.head()) {
      if (!this.#tryTake(amount)) break;
      this.#waiters.releaseHead(undefined);
    }
    this.#startTimer();
  }

  #startTimer(): void {
    const amount = this.#waiters.head();
    if (amount === undefined || this.#cancelTimer !== undefined) return;
    const delayMs = Math.max(1, this.#requests?.msUntil(1) ?? 0, this.#tokens?.msUntil(amount) ?? 0);
    this.#cancelTimer = startTimer(this.#clock, delayMs, this.#onTimer);
  }

  readonly #onTimer = (): void => {
    this.#cancelTimer = undefined;
    this.#drain();
  };

  #stopTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }
}

/**
 * Creates token buckets for requests and tokens per minute. Each bucket holds up to its per-minute
 * amount, starts full and refills continuously. Callers wait in arrival order, so a large request is
 * not starved by small ones behind it. A request asking for more tokens than `tokensPerMinute` goes
 * through when the bucket is full, and the excess is borrowed from the next refills (later callers
 * wait for it) instead of waiting forever. With no limit configured, `acquire` resolves at once and
 * `asPolicy` returns a pass-through policy.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ requestsPerMinute: 500, tokensPerMinute: 200_000 });
 * const policy = wrap(breaker, retry, limiter.asPolicy(estimatedTokens), timeout);
 * await limiter.acquire(1_200, signal); // or pace calls by hand
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  return new Limiter(options);
}
