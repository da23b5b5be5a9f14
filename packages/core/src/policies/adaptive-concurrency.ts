import type { Clock } from '../clock.js';
import { abortedError } from '../internal/policies-abort.js';
import { WaitQueue } from '../internal/policies-wait-queue.js';
import type { RateLimitInfo } from '../providers/provider.js';
import { RequestPacer } from './request-pacer.js';

/**
 * Settings of adaptive rate control (`createEngine({ adaptive })`).
 *
 * @example
 * ```ts
 * const adaptive: AdaptiveOptions = { minConcurrency: 2, decreaseFactor: 0.7 };
 * ```
 */
export interface AdaptiveOptions {
  /** Lowest concurrency the controller goes down to. @default 1 */
  minConcurrency?: number;
  /** Successful calls in a row that add one slot, up to the engine's `concurrency`. @default the current concurrency (one per slot) */
  increaseEvery?: number;
  /** What the concurrency is multiplied by on a 429 (or when the provider's allowance runs low). @default 0.5 */
  decreaseFactor?: number;
}

/**
 * A change of the adaptive concurrency, emitted as `concurrency-change` on the engine and its runs.
 *
 * @example
 * ```ts
 * engine.on('concurrency-change', ({ from, to, reason }) => console.log(`concurrency ${from} → ${to} (${reason})`));
 * ```
 */
export interface ConcurrencyChange {
  /** Concurrency before. */
  from: number;
  /** Concurrency after. */
  to: number;
  /** `rate-limited`: a 429; `low-remaining`: rate-limit headers say the allowance runs out; `recovered`: sustained success. */
  reason: 'rate-limited' | 'low-remaining' | 'recovered';
}

/** What an attempt reports when it ends. */
export interface AttemptOutcome {
  /** The provider answered 429. */
  rateLimited: boolean;
  /** Rate-limit headers of the answer (success or error), if any. */
  rateLimit: RateLimitInfo | undefined;
  /** Milliseconds the attempt took, when it succeeded. */
  latencyMs: number | undefined;
}

/** The part of an admitted attempt the controller needs back at its end. */
export interface AttemptTicket {
  readonly generation: number;
  readonly tokens: number;
}

interface ControllerSettings {
  maxConcurrency: number;
  clock: Clock;
  onChange: (change: ConcurrencyChange) => void;
  onPacing: (pacing: { requestsPerMinute?: number; tokensPerMinute?: number } | undefined) => void;
}

/** Headroom below this share of the provider's limit counts as running low. */
const lowWater = 0.1;

/**
 * AIMD over the number of attempts in flight, shared by every run of an engine, plus pacing from the
 * provider's rate-limit headers. Each attempt takes a slot (waiting in arrival order when all are
 * taken) and gives it back with its outcome. A 429 multiplies the limit by `decreaseFactor` — once per
 * round trip: attempts that started before the last decrease cannot cause another — and so does a
 * provider allowance falling below 10% of its limit; `increaseEvery` successes in a row add one slot,
 * up to the engine's `concurrency`. When the allowance runs low, attempts are also spaced to 95% of
 * the rate at which the provider refills it (see {@link RequestPacer}).
 */
export class AdaptiveConcurrency {
  #limit: number;
  #active = 0;
  #activeTokens = 0;
  #generation = 0;
  #successes = 0;
  #latencyMs: number | undefined;
  readonly #min: number;
  readonly #max: number;
  readonly #increaseEvery: number | undefined;
  readonly #decreaseFactor: number;
  readonly #settings: ControllerSettings;
  readonly #pacer: RequestPacer;
  readonly #waiters = new WaitQueue<undefined, undefined>(() => this.#admit());

  constructor(options: AdaptiveOptions, settings: ControllerSettings) {
    this.#max = settings.maxConcurrency;
    this.#min = Math.min(options.minConcurrency ?? 1, this.#max);
    this.#increaseEvery = options.increaseEvery;
    this.#decreaseFactor = options.decreaseFactor ?? 0.5;
    this.#limit = this.#max;
    this.#settings = settings;
    this.#pacer = new RequestPacer(settings.clock, settings.onPacing);
  }

  /** Attempts allowed in flight right now. */
  get limit(): number {
    return this.#limit;
  }

  /** Waits for a slot and for the pacer, then returns the ticket to hand back to {@link end}. */
  acquire(tokens: number, signal: AbortSignal): AttemptTicket | Promise<AttemptTicket> {
    if (this.#active < this.#limit && this.#waiters.size === 0) {
      this.#active++;
      return this.#begin(tokens, signal);
    }
    // `#admit` counts the slot before it releases a waiter.
    return this.#waiters.wait(undefined, signal).then(() => this.#begin(tokens, signal));
  }

  /** Gives the slot back and learns from the outcome. */
  end(ticket: AttemptTicket, outcome: AttemptOutcome): void {
    this.#release(ticket);
    if (outcome.latencyMs !== undefined) {
      this.#latencyMs =
        this.#latencyMs === undefined ? outcome.latencyMs : this.#latencyMs * 0.8 + outcome.latencyMs * 0.2;
    }
    const low =
      outcome.rateLimit !== undefined &&
      this.#pacer.observe(outcome.rateLimit, this.#active, this.#activeTokens, lowWater);
    if (outcome.rateLimited) {
      this.#pacer.slowDown(this.#decreaseFactor);
      if (ticket.generation === this.#generation) this.#decrease('rate-limited');
    } else {
      this.#pacer.speedUp();
      if (low) {
        if (ticket.generation === this.#generation) this.#decrease('low-remaining');
      } else if (++this.#successes >= (this.#increaseEvery ?? this.#limit) && this.#limit < this.#max) {
        this.#successes = 0;
        this.#set(this.#limit + 1, 'recovered');
      }
    }
    this.#admit();
  }

  #begin(tokens: number, signal: AbortSignal): AttemptTicket | Promise<AttemptTicket> {
    this.#activeTokens += tokens;
    const ticket: AttemptTicket = { generation: this.#generation, tokens };
    const wait = this.#pacer.wait(tokens, signal);
    if (wait === undefined) return ticket;
    return wait.then(
      () => ticket,
      () => {
        this.#release(ticket);
        this.#admit();
        throw abortedError(signal);
      },
    );
  }

  #release(ticket: AttemptTicket): void {
    this.#active--;
    this.#activeTokens -= ticket.tokens;
  }

  #decrease(reason: ConcurrencyChange['reason']): void {
    this.#successes = 0;
    // Never below what the paced rate needs in flight (rate × latency, doubled, plus one, for slack).
    const needed = Math.ceil(this.#pacer.requestsPerMs() * (this.#latencyMs ?? 0) * 2) + 1;
    const floor = Math.min(this.#max, Math.max(this.#min, needed));
    const next = Math.max(floor, Math.floor(this.#limit * this.#decreaseFactor));
    if (next < this.#limit) {
      this.#generation++;
      this.#set(next, reason);
    }
  }

  #set(next: number, reason: ConcurrencyChange['reason']): void {
    const from = this.#limit;
    this.#limit = next;
    this.#settings.onChange({ from, to: next, reason });
  }

  #admit(): void {
    while (this.#active < this.#limit && this.#waiters.size > 0) {
      this.#active++;
      this.#waiters.releaseHead(undefined);
    }
  }
}
