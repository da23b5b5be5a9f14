import * as z from 'zod';
import { type Clock, systemClock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import { abortedError } from '../internal/policies-abort.js';
import { parsePolicyOptions } from '../internal/policies-options.js';
import type { Policy, PolicyContext } from './policy.js';

/**
 * What {@link RetryPolicyOptions.onRetry} is told before each wait.
 *
 * @example
 * ```ts
 * const onRetry = ({ attempt, delayMs, error }: RetryEvent) => log(`attempt ${attempt} failed (${error.code}); retrying in ${delayMs} ms`);
 * ```
 */
export interface RetryEvent {
  /** The attempt that just failed (1-based); the next one is `attempt + 1`. */
  attempt: number;
  /** How long the policy waits before the next attempt, in milliseconds. */
  delayMs: number;
  /** The retryable error of the failed attempt. */
  error: LLMBatchError;
}

/**
 * Options of {@link createRetryPolicy}.
 *
 * @example
 * ```ts
 * const options: RetryPolicyOptions = { maxRetries: 6, maxRetryAfterMs: 120_000 };
 * ```
 */
export interface RetryPolicyOptions {
  /** Retries after the first attempt, so at most `maxRetries + 1` attempts. @default 4 */
  maxRetries?: number;
  /** First backoff ceiling in milliseconds; it doubles with each retry. @default 500 */
  baseDelayMs?: number;
  /** Largest backoff ceiling in milliseconds. @default 30_000 */
  maxDelayMs?: number;
  /**
   * Largest wait taken from an error's `retryAfterMs` (the provider's Retry-After), in milliseconds. A
   * provider asking for longer still gets a retry after this cap, not a failure. @default 60_000
   */
  maxRetryAfterMs?: number;
  /** Source of jitter, returning a number in [0, 1). @default Math.random */
  random?: () => number;
  /** Time source for the waits. @default systemClock */
  clock?: Clock;
  /** Called before each wait, e.g. to count retries or log them. */
  onRetry?: (event: RetryEvent) => void;
}

const optionsSchema = z.object({
  maxRetries: z.number().int().min(0).default(4),
  baseDelayMs: z.number().min(0).default(500),
  maxDelayMs: z.number().min(0).default(30_000),
  maxRetryAfterMs: z.number().min(0).default(60_000),
});

/**
 * Retries calls that fail with a retryable LLMBatchError (`isRetryable`: connection, timeout, 429, 5xx).
 * Anything else (non-retryable codes, errors that are not LLMBatchErrors) is rethrown as it is, at once.
 *
 * Before attempt n + 1 it waits the error's `retryAfterMs` capped at `maxRetryAfterMs` when the provider
 * sent one, else a full-jitter backoff: `random() * min(maxDelayMs, baseDelayMs * 2 ** (n - 1))`. The
 * wait ends early with an `aborted` error when the signal aborts. `fn` sees `attempt` = 1, 2, 3, ...
 *
 * When the last allowed attempt fails with a retryable error, it throws `retries-exhausted`: not
 * retryable, `cause` and `status` and `isAvailabilityFailure` taken from the last error, and
 * `details: { attempts, errors }` with every attempt's error as JSON.
 *
 * @example
 * ```ts
 * const retry = createRetryPolicy({ maxRetries: 3, onRetry: ({ attempt, delayMs }) => log(attempt, delayMs) });
 * const response = await retry.execute(({ signal }) => provider.complete({ ...request, signal }), {
 *   signal: runSignal,
 *   attempt: 1,
 * });
 * ```
 */
export function createRetryPolicy(options: RetryPolicyOptions = {}): Policy {
  const schedule = createRetrySchedule(options);
  return {
    async execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
      const signal = context.signal;
      const errors: LLMBatchError[] = [];
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw abortedError(signal);
        try {
          return await fn({ signal, attempt });
        } catch (error) {
          await schedule.afterFailure(error, attempt, errors, signal);
        }
      }
    },
  };
}

/**
 * The retry policy's rules without its loop, so the engine can run them inside its own call loop (one
 * async frame per unit instead of one per policy).
 */
export interface RetrySchedule {
  /**
   * Decides what follows a failed attempt: throws the error to give up (not retryable, cancelled, or
   * `retries-exhausted` after the last allowed attempt, `errors` then holding every attempt's error), or
   * resolves after the backoff when attempt `attempt + 1` should run.
   */
  afterFailure(error: unknown, attempt: number, errors: LLMBatchError[], signal: AbortSignal): Promise<void>;
}

/** Validates retry options and returns their rules; see {@link createRetryPolicy}. */
export function createRetrySchedule(options: RetryPolicyOptions = {}): RetrySchedule {
  const parsed = parsePolicyOptions('createRetryPolicy', optionsSchema, options);
  const { maxRetries, baseDelayMs, maxDelayMs, maxRetryAfterMs } = parsed;
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  const onRetry = options.onRetry;

  const delayBefore = (error: LLMBatchError, failedAttempt: number): number => {
    const retryAfterMs = error.retryAfterMs;
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) {
      return Math.min(Math.max(retryAfterMs, 0), maxRetryAfterMs);
    }
    return random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (failedAttempt - 1));
  };

  return {
    async afterFailure(error, attempt, errors, signal) {
      if (!LLMBatchError.isInstance(error) || !error.isRetryable) throw error;
      // A retryable failure caused by our own cancellation is not worth another try.
      if (signal.aborted) throw abortedError(signal);
      errors.push(error);
      if (attempt > maxRetries) throw retriesExhausted(errors, error);
      const delayMs = delayBefore(error, attempt);
      onRetry?.({ attempt, delayMs, error });
      if (delayMs > 0) await sleepUnlessAborted(clock, delayMs, signal);
    },
  };
}

async function sleepUnlessAborted(clock: Clock, delayMs: number, signal: AbortSignal): Promise<void> {
  try {
    await clock.sleep(delayMs, signal);
  } catch (error) {
    if (signal.aborted) throw abortedError(signal);
    throw error;
  }
}

function retriesExhausted(errors: LLMBatchError[], last: LLMBatchError): LLMBatchError {
  const attempts = errors.length;
  return new LLMBatchError({
    code: 'retries-exhausted',
    message: `Failed after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}: ${last.message}`,
    cause: last,
    isRetryable: false,
    isAvailabilityFailure: last.isAvailabilityFailure,
    ...(last.status === undefined ? {} : { status: last.status }),
    details: { attempts, errors: errors.map((error) => error.toJSON()) },
  });
}

// Response headers as Node and undici give them: lower-case names, a value or a list of values.
type ResponseHeaders = Record<string, string | string[] | undefined>;

const secondsPattern = /^\d+(?:\.\d+)?$/;
const millisecondsPattern = /^\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim();
}

/**
 * Reads how long a provider asks us to wait, in milliseconds: `retry-after-ms` (a number of
 * milliseconds, OpenAI) first, then `retry-after` (whole or decimal seconds, or an HTTP date compared
 * with `now`, a Unix time in milliseconds). A date in the past gives 0. Returns `undefined` when
 * neither header is present or readable. Header names match in any case.
 *
 * @example
 * ```ts
 * parseRetryAfter({ 'retry-after': '2' }, Date.now()); // 2000
 * parseRetryAfter({ 'retry-after-ms': '150.5' }, Date.now()); // 150.5
 * ```
 */
export function parseRetryAfter(
  headers: Record<string, string | string[] | undefined>,
  now: number,
): number | undefined {
  const milliseconds = headerValue(headers, 'retry-after-ms');
  if (milliseconds !== undefined && millisecondsPattern.test(milliseconds)) {
    const value = Number(milliseconds);
    if (Number.isFinite(value)) return value;
  }
  const retryAfter = headerValue(headers, 'retry-after');
  if (retryAfter === undefined || retryAfter === '') return undefined;
  if (secondsPattern.test(retryAfter)) {
    const value = Number(retryAfter) * 1000;
    return Number.isFinite(value) ? value : undefined;
  }
  // An HTTP date always names a day or month; this keeps Date.parse from reading "-5" as a year.
  if (!/[a-z]/i.test(retryAfter)) return undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
