import type { SerializedError } from './errors.js';

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
  /** Milliseconds since the run started. */
  elapsedMs: number;
}

/** Circuit breaker states. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why a run ended. */
export type RunEndReason = 'completed' | 'aborted' | 'budget-exceeded' | 'failed';

/** The final account of a run. */
export interface RunSummary extends Omit<RunProgress, 'inFlight' | 'breaker'> {
  /** Why the run ended. */
  reason: RunEndReason;
  /** Units whose call was in flight when the run was aborted; their results were discarded. */
  cancelled: number;
  /** Units read from the source but never finished (`cancelled` included): rerun them to complete. */
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
