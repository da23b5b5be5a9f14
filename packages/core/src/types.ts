import type { SerializedError } from './errors.js';
import type { ValidationIssue } from './output/output-schema.js';

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One input record: a plain object whose fields the prompt template reads. */
export type Unit = Record<string, unknown>;

/** Token counts reported by the provider for one call (or summed over several). */
export interface Usage {
  /** Tokens in the prompt, including cached ones. */
  inputTokens: number;
  /** Tokens the model produced. */
  outputTokens: number;
  /** Of `inputTokens`, how many were read from the provider's prompt cache. */
  cachedInputTokens: number;
  /** Tokens written to the provider's prompt cache (Anthropic). */
  cacheWriteTokens: number;
}

/** One try at calling the provider for a unit. */
export interface AttemptRecord {
  /** 1-based attempt number. */
  attempt: number;
  /** Wall-clock duration of the attempt in milliseconds. */
  durationMs: number;
  /** Usage of this attempt, when the provider answered. */
  usage?: Usage;
  /** The error of this attempt, if it failed. */
  error?: SerializedError;
  /** Cost of this attempt in USD, when the provider answered (`null` when the model's price is unknown). */
  cost?: number | null;
  /** True for an attempt that re-asked the model after its output failed the job's schema. */
  repair?: boolean;
  /** Why this attempt's output was rejected by the job's schema, when it was. */
  issues?: ValidationIssue[];
}

/** The outcome of one unit, yielded by `engine.run()`. */
export interface UnitResult {
  /** Position of the unit in the input, from 0. */
  index: number;
  /** Stable key of the unit (the job's `keyField`, or the index as a string). */
  key: string;
  /** `ok`: the model answered and the output was read; `error`: see `error`. */
  status: 'ok' | 'error';
  /** The output: any JSON value in `json` mode, a string in `text` mode; `undefined` on error. */
  value: JsonValue | undefined;
  /** The model's raw text, always kept when the provider answered. */
  raw: string | undefined;
  /** What the post-processor did to read the output (e.g. "took the first of 2 fenced blocks"). */
  warnings: string[];
  /** Tokens used, summed over all attempts. */
  usage: Usage;
  /** Cost in USD summed over all attempts; `null` when the model's price is unknown. */
  cost: number | null;
  /** Every attempt made for this unit. */
  attempts: AttemptRecord[];
  /** The final error, when `status` is `error`. */
  error?: SerializedError;
  /** Milliseconds from dispatch to result. */
  durationMs: number;
  /**
   * True when the value was reused instead of calling the provider: from an identical request earlier
   * in the run (dedup) or from the result cache. Usage and cost are then 0 and `attempts` is empty.
   */
  cached?: boolean;
}

/** Live counters for a run. */
export interface RunProgress {
  /** Units read from the source so far. */
  read: number;
  /** Units skipped because the checkpoint store says they are done. */
  skipped: number;
  /** Units whose call is in flight. */
  inFlight: number;
  /** Units finished (ok or error). */
  done: number;
  /** Units finished with status `ok`. */
  succeeded: number;
  /** Units finished with status `error`. */
  failed: number;
  /** Retries performed so far. */
  retries: number;
  /** Tokens used so far. */
  usage: Usage;
  /** Cost so far in USD (`null` when a price is unknown). */
  cost: number | null;
  /** Circuit breaker state. */
  breaker: BreakerState;
  /** Calls allowed in flight right now (the adaptive controller's current limit, or the fixed concurrency). */
  concurrency: number;
  /** Units answered from an identical request earlier in the run instead of a call. */
  dedupHits: number;
  /** Units answered from the result cache instead of a call. */
  cacheHits: number;
  /** What the reused results cost when they were first made, in USD (`null` when a price is unknown). */
  savedCost: number | null;
  /** Milliseconds since the run started. */
  elapsedMs: number;
}

/** Circuit breaker states. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why a run ended. */
export type RunEndReason = 'completed' | 'aborted' | 'budget-exceeded' | 'failed';

/**
 * The cost budget of a run (`maxCost`) and what happened to it.
 *
 * @example
 * ```ts
 * const { budget } = await engine.run(rows, job, { maxCost: 5 }).drain();
 * if (budget) console.log(`spent $${budget.spent.toFixed(2)} of $${budget.maxCost}`);
 * ```
 */
export interface BudgetSummary {
  /** The budget in USD. */
  maxCost: number;
  /** What the run spent in USD (the same as the summary's `cost`). */
  spent: number;
  /** `maxCost - spent`. */
  remaining: number;
}

/** The final account of a run. */
export interface RunSummary extends Omit<RunProgress, 'inFlight' | 'breaker' | 'concurrency'> {
  /** Why the run ended: `budget-exceeded` when `maxCost` stopped dispatch. */
  reason: RunEndReason;
  /** Version of the price data the costs were computed with. */
  pricingVersion: string;
  /** Present when the run had a `maxCost`. */
  budget?: BudgetSummary;
  /** Units whose call was in flight when the run was aborted; their results were discarded. */
  cancelled: number;
  /**
   * Units read from the source but never finished (`cancelled` included, and units held back by
   * `maxCost`): rerun them (with a checkpoint) to complete.
   */
  notAttempted: number;
  /** Total duration in milliseconds. */
  durationMs: number;
  /** The error that ended the run early (source or checkpoint failure), if any. */
  error?: SerializedError;
}

/** A zero usage value. */
export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };
}

/** Adds `b` into `a` in place and returns `a`. */
export function addUsage(a: Usage, b: Usage): Usage {
  a.inputTokens += b.inputTokens;
  a.outputTokens += b.outputTokens;
  a.cachedInputTokens += b.cachedInputTokens;
  a.cacheWriteTokens += b.cacheWriteTokens;
  return a;
}
