import type { SerializedError } from '../errors.js';
import type { ValidationIssue } from '../output/output-schema.js';
import type { ConcurrencyChange } from '../policies/adaptive-concurrency.js';
import type { BreakerState, RunProgress, RunSummary, UnitResult } from '../types.js';

/** A circuit breaker transition. */
export interface BreakerTransition {
  /** State before. */
  from: BreakerState;
  /** State after. */
  to: BreakerState;
  /** Consecutive availability failures counted when it changed. */
  consecutiveFailures: number;
}

/**
 * Events of a run (`run.on(...)`). Breaker events are also emitted by the engine itself, since the
 * breaker protects the provider across runs.
 *
 * @example
 * ```ts
 * const run = engine.run(units, job);
 * run.on('unit-retry', ({ key, attempt, error }) => console.warn(`${key}: attempt ${attempt} after ${error.code}`));
 * run.on('progress', (progress) => console.log(`${progress.done} done`));
 * ```
 */
export interface RunEvents {
  /** A unit was dispatched. */
  'unit-start': (event: { index: number; key: string }) => void;
  /** A unit finished; the same result is yielded by the iterator. */
  'unit-end': (result: UnitResult) => void;
  /** A unit's call failed and is being tried again. */
  'unit-retry': (event: { index: number; key: string; attempt: number; error: SerializedError }) => void;
  /** A unit's output failed the job's schema; the model is asked again with the issues (`repair` counts from 1). */
  'unit-repair': (event: { index: number; key: string; repair: number; issues: ValidationIssue[] }) => void;
  /** Adaptive rate control changed the concurrency (also emitted by the engine). */
  'concurrency-change': (change: ConcurrencyChange) => void;
  /** The breaker opened: calls wait (or fail fast) until it half-opens. */
  'breaker-open': (transition: BreakerTransition) => void;
  /** The breaker admits one probe call. */
  'breaker-half-open': (transition: BreakerTransition) => void;
  /** The breaker closed again. */
  'breaker-close': (transition: BreakerTransition) => void;
  /** Periodic counters (every `progressIntervalMs`, and once at the end). */
  progress: (progress: RunProgress) => void;
  /** The run ended; same value as `run.summary`. */
  'run-end': (summary: RunSummary) => void;
}

/**
 * Events of the engine across runs.
 *
 * @example
 * ```ts
 * engine.on('breaker-open', ({ consecutiveFailures }) => alert(`provider down after ${consecutiveFailures} failures`));
 * ```
 */
export interface EngineEvents {
  /** The breaker opened. */
  'breaker-open': (transition: BreakerTransition) => void;
  /** The breaker admits one probe call. */
  'breaker-half-open': (transition: BreakerTransition) => void;
  /** The breaker closed again. */
  'breaker-close': (transition: BreakerTransition) => void;
  /** Adaptive rate control changed the concurrency. */
  'concurrency-change': (change: ConcurrencyChange) => void;
}
