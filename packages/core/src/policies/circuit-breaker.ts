import * as z from 'zod';
import { type Clock, systemClock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import { abortedError, isAbortedError } from '../internal/policies-abort.js';
import { parsePolicyOptions } from '../internal/policies-options.js';
import { type CancelTimer, startTimer } from '../internal/policies-timer.js';
import { WaitQueue } from '../internal/policies-wait-queue.js';
import type { BreakerState } from '../types.js';
import type { Policy, PolicyContext } from './policy.js';

/**
 * What {@link CircuitBreakerOptions.onStateChange} is told on each transition.
 *
 * @example
 * ```ts
 * const onStateChange = ({ from, to, consecutiveFailures }: BreakerStateChange) => log(`${from} -> ${to} after ${consecutiveFailures}`);
 * ```
 */
export interface BreakerStateChange {
  /** The state left. */
  from: BreakerState;
  /** The state entered. */
  to: BreakerState;
  /** Consecutive availability failures counted when the transition happened. */
  consecutiveFailures: number;
}

/**
 * A JSON-safe view of a {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * const snapshot: CircuitBreakerSnapshot = breaker.toJSON(); // { state: 'open', consecutiveFailures: 5, openedAt: 1767225600000 }
 * ```
 */
export interface CircuitBreakerSnapshot {
  /** The current state. */
  state: BreakerState;
  /** Consecutive availability failures counted so far. */
  consecutiveFailures: number;
  /** When the breaker last opened, in the clock's milliseconds (`Date.now()` by default); null when closed. */
  openedAt: number | null;
}

/**
 * Options of {@link createCircuitBreaker}.
 *
 * @example
 * ```ts
 * const options: CircuitBreakerOptions = { failureThreshold: 10, resetTimeoutMs: 60_000, whenOpen: 'fail-fast' };
 * ```
 */
export interface CircuitBreakerOptions {
  /** Consecutive availability failures that open the breaker. @default 5 */
  failureThreshold?: number;
  /** How long the breaker stays open before it lets one probe call through, in milliseconds. @default 30_000 */
  resetTimeoutMs?: number;
  /** What calls do while the breaker is not letting them through: wait for it, or fail with `circuit-open`. @default 'wait' */
  whenOpen?: 'wait' | 'fail-fast';
  /** Time source for the open period. @default systemClock */
  clock?: Clock;
  /** Called synchronously on every state change, after the breaker updated itself; must not throw. */
  onStateChange?: (change: BreakerStateChange) => void;
}

/**
 * A circuit breaker: a {@link Policy} whose state can be read, saved and reset; made by
 * {@link createCircuitBreaker}.
 *
 * @example
 * ```ts
 * const breaker: CircuitBreaker = createCircuitBreaker();
 * if (breaker.state === 'open') console.warn('provider unavailable', JSON.stringify(breaker));
 * ```
 */
export interface CircuitBreaker extends Policy {
  /** The current state (an open breaker whose reset timeout has passed reads, and becomes, `half-open`). */
  readonly state: BreakerState;
  /** A JSON-safe snapshot of the state. */
  toJSON(): CircuitBreakerSnapshot;
  /** Closes the breaker, clears the count and lets every waiting call through. */
  reset(): void;
}

const optionsSchema = z.object({
  failureThreshold: z.number().int().min(1).default(5),
  resetTimeoutMs: z.number().min(0).max(2_147_483_647).default(30_000),
  whenOpen: z.enum(['wait', 'fail-fast']).default('wait'),
});

type Outcome = 'answered' | 'unavailable' | 'aborted';

function classify(error: unknown, signal: AbortSignal): Outcome {
  if (signal.aborted || isAbortedError(error)) return 'aborted';
  return LLMBatchError.isInstance(error) && error.isAvailabilityFailure ? 'unavailable' : 'answered';
}

/**
 * The breaker's rules without its `execute` wrapper, for the engine's call loop: `enter` admits a call
 * (at once while closed, otherwise waiting for the probe or failing fast), `leave` records how an
 * admitted call ended.
 */
export interface BreakerGate {
  enter(signal: AbortSignal): Admission | Promise<Admission>;
  /** `error` is `undefined` for a call that answered. */
  leave(admission: Admission, error: unknown, signal: AbortSignal): void;
}

/** Which open period a call was admitted in, and whether it is the half-open probe. */
export interface Admission {
  readonly generation: number;
  readonly isProbe: boolean;
}

class Breaker implements CircuitBreaker, BreakerGate {
  #state: BreakerState = 'closed';
  #consecutiveFailures = 0;
  #openedAt: number | null = null;
  // Increases each time the breaker opens (or is reset). Outcomes of calls admitted under an older
  // generation are ignored, so calls in flight when it opened cannot re-open it or extend the open period.
  #generation = 0;
  #probeInFlight = false;
  // The admission of every call while closed in the current generation: shared, so admitting allocates nothing.
  #closedAdmission: Admission = { generation: 0, isProbe: false };
  #cancelWake: CancelTimer | undefined;
  readonly #waiters = new WaitQueue<undefined, Admission>(() => {
    if (this.#waiters.size === 0) this.#stopWake();
  });
  readonly #failureThreshold: number;
  readonly #resetTimeoutMs: number;
  readonly #failFast: boolean;
  readonly #clock: Clock;
  readonly #onStateChange: ((change: BreakerStateChange) => void) | undefined;

  constructor(options: CircuitBreakerOptions) {
    const parsed = parsePolicyOptions('createCircuitBreaker', optionsSchema, options);
    this.#failureThreshold = parsed.failureThreshold;
    this.#resetTimeoutMs = parsed.resetTimeoutMs;
    this.#failFast = parsed.whenOpen === 'fail-fast';
    this.#clock = options.clock ?? systemClock;
    this.#onStateChange = options.onStateChange;
  }

  get state(): BreakerState {
    this.#halfOpenIfDue();
    return this.#state;
  }

  toJSON(): CircuitBreakerSnapshot {
    return { state: this.state, consecutiveFailures: this.#consecutiveFailures, openedAt: this.#openedAt };
  }

  reset(): void {
    this.#generation++;
    this.#consecutiveFailures = 0;
    this.#probeInFlight = false;
    this.#close();
  }

  execute<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
    // Fast path: a closed breaker only watches outcomes.
    if (this.#state === 'closed') return this.#run(fn, context, this.#closed());
    return this.#admitThenRun(fn, context);
  }

  enter(signal: AbortSignal): Admission | Promise<Admission> {
    if (this.#state === 'closed') return this.#closed();
    return this.#admit(signal);
  }

  leave(admission: Admission, error: unknown, signal: AbortSignal): void {
    this.#record(
      error === undefined ? 'answered' : classify(error, signal),
      admission.generation,
      admission.isProbe,
    );
  }

  #closed(): Admission {
    if (this.#closedAdmission.generation !== this.#generation) {
      this.#closedAdmission = { generation: this.#generation, isProbe: false };
    }
    return this.#closedAdmission;
  }

  async #admitThenRun<T>(fn: (context: PolicyContext) => Promise<T>, context: PolicyContext): Promise<T> {
    const admission = await this.#admit(context.signal);
    return this.#run(fn, context, admission);
  }

  #admit(signal: AbortSignal): Admission | Promise<Admission> {
    this.#halfOpenIfDue();
    if (this.#state === 'closed') return this.#closed();
    if (this.#state === 'half-open' && !this.#probeInFlight) {
      this.#probeInFlight = true;
      return { generation: this.#generation, isProbe: true };
    }
    if (signal.aborted) throw abortedError(signal);
    if (this.#failFast) throw this.#openError();
    const admission = this.#waiters.wait(undefined, signal);
    this.#startWake();
    return admission;
  }

  async #run<T>(
    fn: (context: PolicyContext) => Promise<T>,
    context: PolicyContext,
    admission: Admission,
  ): Promise<T> {
    let value: T;
    try {
      value = await fn(context);
    } catch (error) {
      this.#record(classify(error, context.signal), admission.generation, admission.isProbe);
      throw error;
    }
    this.#record('answered', admission.generation, admission.isProbe);
    return value;
  }

  #record(outcome: Outcome, generation: number, isProbe: boolean): void {
    if (generation !== this.#generation) return;
    if (isProbe) {
      this.#probeInFlight = false;
      if (outcome === 'aborted') this.#admitProbe();
      else if (outcome === 'unavailable') {
        this.#consecutiveFailures++;
        this.#open();
      } else {
        this.#consecutiveFailures = 0;
        this.#close();
      }
      return;
    }
    if (this.#state !== 'closed' || outcome === 'aborted') return;
    if (outcome === 'answered') this.#consecutiveFailures = 0;
    else if (++this.#consecutiveFailures >= this.#failureThreshold) this.#open();
  }

  #open(): void {
    this.#generation++;
    this.#openedAt = this.#clock.now();
    this.#stopWake();
    const from = this.#state;
    this.#state = 'open';
    this.#startWake();
    this.#notify(from, 'open');
  }

  #halfOpenIfDue(): void {
    if (this.#state !== 'open' || this.#openedAt === null) return;
    if (this.#clock.now() - this.#openedAt >= this.#resetTimeoutMs) this.#halfOpen();
  }

  #halfOpen(): void {
    this.#stopWake();
    this.#state = 'half-open';
    this.#admitProbe();
    this.#notify('open', 'half-open');
  }

  #close(): void {
    this.#stopWake();
    this.#openedAt = null;
    const from = this.#state;
    this.#state = 'closed';
    this.#waiters.releaseAll({ generation: this.#generation, isProbe: false });
    if (from !== 'closed') this.#notify(from, 'closed');
  }

  /** Gives the free half-open probe slot to the longest-waiting caller, if any. */
  #admitProbe(): void {
    if (this.#waiters.size === 0) return;
    this.#probeInFlight = true;
    this.#waiters.releaseHead({ generation: this.#generation, isProbe: true });
  }

  // A timer runs only while someone waits on an open breaker; otherwise the move to half-open is made
  // lazily by the next call, so an idle open breaker keeps no timer (and never holds the process open).
  #startWake(): void {
    if (this.#state !== 'open' || this.#openedAt === null || this.#cancelWake !== undefined) return;
    if (this.#waiters.size === 0) return;
    const delayMs = Math.max(0, this.#openedAt + this.#resetTimeoutMs - this.#clock.now());
    this.#cancelWake = startTimer(this.#clock, delayMs, this.#onWake);
  }

  readonly #onWake = (): void => {
    this.#cancelWake = undefined;
    // The timer is the reset timeout, so it counts as due even if the clock reads a hair earlier.
    if (this.#state === 'open') this.#halfOpen();
  };

  #stopWake(): void {
    this.#cancelWake?.();
    this.#cancelWake = undefined;
  }

  #openError(): LLMBatchError {
    const state = this.#state;
    const nextProbeInMs =
      state === 'open' && this.#openedAt !== null
        ? Math.max(0, this.#openedAt + this.#resetTimeoutMs - this.#clock.now())
        : 0;
    const message =
      state === 'open'
        ? `Circuit breaker is open after ${this.#consecutiveFailures} consecutive availability failures; next probe in ${nextProbeInMs} ms`
        : 'Circuit breaker is half-open and its probe call is still running';
    return new LLMBatchError({
      code: 'circuit-open',
      message,
      isRetryable: false,
      isAvailabilityFailure: false,
      details: { state, consecutiveFailures: this.#consecutiveFailures, nextProbeInMs },
    });
  }

  #notify(from: BreakerState, to: BreakerState): void {
    this.#onStateChange?.({ from, to, consecutiveFailures: this.#consecutiveFailures });
  }
}

/**
 * Stops calling a provider that keeps failing. Only availability failures count (LLMBatchErrors with
 * `isAvailabilityFailure`: connection errors, timeouts, 429, 5xx, and `retries-exhausted` ending in
 * one); any other outcome proves the provider answered and clears the count; aborted calls count as
 * neither. After `failureThreshold` consecutive availability failures the breaker opens: calls wait
 * (or fail with `circuit-open`) for `resetTimeoutMs`, then exactly one probe call goes through. Its
 * success closes the breaker and lets every waiting call through; its availability failure opens it
 * again for a fresh `resetTimeoutMs`. Put it outermost, around the retry policy, so it counts each
 * unit's final outcome.
 *
 * @example
 * ```ts
 * const breaker = createCircuitBreaker({ failureThreshold: 5, onStateChange: ({ to }) => log(`breaker ${to}`) });
 * const policy = wrap(breaker, createRetryPolicy(), createTimeoutPolicy({ timeoutMs: 60_000 }));
 * console.log(breaker.state, JSON.stringify(breaker));
 * ```
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  return new Breaker(options);
}

/** A circuit breaker that the engine's call loop can also drive through {@link BreakerGate}. */
export function createBreakerGate(options: CircuitBreakerOptions = {}): CircuitBreaker & BreakerGate {
  return new Breaker(options);
}
