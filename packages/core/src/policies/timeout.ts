import * as z from 'zod';
import { type Clock, systemClock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import { AbortRelay, type AbortWatcher, unwatchAbort, watchAbort } from '../internal/abort-fan-out.js';
import { createDeadlines, type DeadlineEntry, type Deadlines } from '../internal/deadline-queue.js';
import { abortedError } from '../internal/policies-abort.js';
import { parsePolicyOptions } from '../internal/policies-options.js';
import type { CancelTimer } from '../internal/policies-timer.js';
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
  const deadlines = createDeadlines(parseTimeoutMs(options), options.clock ?? systemClock);
  return {
    execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
      const attempt = context.attempt;
      return callWithDeadline(context.signal, deadlines, (signal) => fn({ signal, attempt }));
    },
  };
}

/** Validates {@link TimeoutPolicyOptions.timeoutMs} as {@link createTimeoutPolicy} does and returns it. */
export function parseTimeoutMs(options: TimeoutPolicyOptions): number {
  return parsePolicyOptions('createTimeoutPolicy', optionsSchema, options).timeoutMs;
}

/**
 * The timeout policy's work without its context object, for the engine's hot path: runs `call` with a
 * signal that aborts when `outer` aborts or the deadline passes, and settles with the first of the
 * call's outcome, the deadline (`timeout`) and the caller's cancellation (`aborted`).
 */
export function callWithDeadline<T>(
  outer: AbortSignal,
  deadlines: Deadlines,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (outer.aborted) return Promise.reject(abortedError(outer));
  return new Promise<T>((resolve, reject) => {
    new DeadlineCall(outer, deadlines, resolve, reject).start(call);
  });
}

// One object per call holds what the deadline needs (instead of a closure per callback): it is the
// watcher of the caller's signal, an entry of the deadline queue, and the relay to our HTTP sender.
class DeadlineCall<T> implements AbortWatcher, DeadlineEntry {
  previousWatcher: AbortWatcher | undefined = undefined;
  nextWatcher: AbortWatcher | undefined = undefined;
  deadlineAt = 0;
  earlierEntry: DeadlineEntry | undefined = undefined;
  laterEntry: DeadlineEntry | undefined = undefined;
  cancelDeadline: CancelTimer | undefined = undefined;
  readonly #controller = new AbortController();
  // Our own HTTP sender hears about this signal through the relay rather than an EventTarget listener.
  readonly #relay = new AbortRelay(this.#controller.signal);
  #settled = false;

  constructor(
    private readonly outer: AbortSignal,
    private readonly deadlines: Deadlines,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    deadlines.start(this);
    watchAbort(outer, this);
  }

  start(call: (signal: AbortSignal) => Promise<T>): void {
    let pending: Promise<T>;
    try {
      pending = call(this.#controller.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        if (this.#settle()) this.resolve(value);
      },
      (error: unknown) => {
        if (this.#settle()) this.reject(error);
      },
    );
  }

  handleAbort(): void {
    this.#fail(abortedError(this.outer));
  }

  expire(): void {
    const timeoutMs = this.deadlines.timeoutMs;
    this.#fail(
      new LLMBatchError({
        code: 'timeout',
        message: `The call timed out after ${timeoutMs} ms`,
        details: { timeoutMs },
      }),
    );
  }

  // True for the first outcome only; every later one (e.g. the call rejecting because we aborted it) is
  // dropped. The deadline and the watch on the caller's signal go whichever way the call ends.
  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.deadlines.stop(this);
    unwatchAbort(this.outer, this);
    return true;
  }

  #fail(error: LLMBatchError): void {
    if (!this.#settle()) return;
    this.#controller.abort(error);
    this.#relay.aborted();
    this.reject(error);
  }
}
