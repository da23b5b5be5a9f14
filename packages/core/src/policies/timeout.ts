import * as z from 'zod';
import { type Clock, systemClock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import { onAbort } from '../internal/abort-fan-out.js';
import { abortedError } from '../internal/policies-abort.js';
import { parsePolicyOptions } from '../internal/policies-options.js';
import { startTimer } from '../internal/policies-timer.js';
import type { Policy, PolicyContext } from './policy.js';

/**
 * Options of {@link createTimeoutPolicy}.
 *
 * @example
 * ```ts
 * const options: TimeoutPolicyOptions = { timeoutMs: 60_000 };
 * ```
 */
export interface TimeoutPolicyOptions {
  /** Longest one call may take, in milliseconds (at most 2,147,483,647, the timer limit). */
  timeoutMs: number;
  /** Time source for the deadline. @default systemClock */
  clock?: Clock;
}

const optionsSchema = z.object({ timeoutMs: z.number().positive().max(2_147_483_647) });

/**
 * Bounds each call by a deadline. `fn` gets a signal that aborts when the caller's signal aborts or
 * when `timeoutMs` elapses; the returned promise then rejects at once, without waiting for `fn` to
 * notice, with an LLMBatchError: `timeout` (retryable, an availability failure) for the deadline,
 * `aborted` (neither) for the caller's cancellation. The timer and the listener on the caller's signal
 * are removed whichever way the call ends.
 *
 * @example
 * ```ts
 * const timeout = createTimeoutPolicy({ timeoutMs: 60_000 });
 * const response = await timeout.execute(({ signal }) => provider.complete({ ...request, signal }), {
 *   signal: runSignal,
 *   attempt: 1,
 * });
 * ```
 */
export function createTimeoutPolicy(options: TimeoutPolicyOptions): Policy {
  const { timeoutMs } = parsePolicyOptions('createTimeoutPolicy', optionsSchema, options);
  const clock = options.clock ?? systemClock;
  return {
    execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
      return runWithDeadline(fn, context, timeoutMs, clock);
    },
  };
}

function runWithDeadline<T>(
  fn: (context: PolicyContext) => Promise<T>,
  context: PolicyContext,
  timeoutMs: number,
  clock: Clock,
): Promise<T> {
  const outer = context.signal;
  if (outer.aborted) return Promise.reject(abortedError(outer));
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    // Returns true for the first outcome only; every later one (e.g. fn rejecting because we aborted it)
    // is dropped.
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      cancelTimer();
      stopWatching();
      return true;
    };
    const fail = (error: LLMBatchError): void => {
      if (!settle()) return;
      controller.abort(error);
      reject(error);
    };
    const onOuterAbort = (): void => fail(abortedError(outer));
    const cancelTimer = startTimer(clock, timeoutMs, () =>
      fail(
        new LLMBatchError({
          code: 'timeout',
          message: `The call timed out after ${timeoutMs} ms`,
          details: { timeoutMs },
        }),
      ),
    );
    const stopWatching = onAbort(outer, onOuterAbort);

    let pending: Promise<T>;
    try {
      pending = fn({ signal: controller.signal, attempt: context.attempt });
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        if (settle()) resolve(value);
      },
      (error: unknown) => {
        if (settle()) reject(error);
      },
    );
  });
}
