import type { Clock } from '../clock.js';
import type { Deadlines } from '../internal/deadline-queue.js';
import type { Logger } from '../logger.js';
import type { CompiledOutputSchema } from '../output/output-schema.js';
import type { AdaptiveConcurrency } from '../policies/adaptive-concurrency.js';
import type { BreakerGate } from '../policies/circuit-breaker.js';
import type { RetrySchedule } from '../policies/retry.js';
import type { ModelPrice, PriceTable } from '../pricing/price-table.js';
import type { MessageBuilder } from '../prompt/messages.js';
import type { Provider, ResponseFormat } from '../providers/provider.js';
import type { BreakerState } from '../types.js';
import type { Budget } from './budget.js';
import type { CheckpointStore } from './checkpoint.js';
import type { DedupIndex } from './dedup.js';
import type { JobSpec } from './options.js';
import type { ResultCache } from './result-cache.js';

/** Everything a run needs, resolved by the engine once per run. */
export interface RunContext {
  provider: Provider;
  /** Model name as the provider knows it. */
  model: string;
  /** `provider:model` for pricing. */
  priceKey: string;
  job: JobSpec;
  builder: MessageBuilder;
  /** The configured concurrency (the adaptive controller's maximum). */
  concurrency: number;
  reorderWindow: number;
  ordered: boolean;
  checkpoint: CheckpointStore | undefined;
  signal: AbortSignal | undefined;
  /** Admits each call and counts its outcome after retries (shared by the engine's runs). */
  breaker: BreakerGate;
  /** Decides whether and when a failed attempt is tried again. */
  retry: RetrySchedule;
  /**
   * Per-attempt admission by the rate limiter (tokens estimate), run inside the retry loop; `undefined`
   * when the call may go at once (always, without limits), so the hot path skips an await.
   */
  admit: (tokens: number, signal: AbortSignal) => Promise<void> | undefined;
  /** Each attempt's deadline (the engine's `timeoutMs`), shared by the engine's runs. */
  deadlines: Deadlines;
  prices: PriceTable;
  /** Whether `prices` knows `priceKey`; costs are `null` otherwise. */
  priceKnown: boolean;
  /** The model's price, when known. */
  price: ModelPrice | undefined;
  clock: Clock;
  logger: Logger;
  progressIntervalMs: number;
  breakerState: () => BreakerState;
  /** The job's compiled output schema. */
  schema: CompiledOutputSchema | undefined;
  /** What every request asks the provider for (the job's, or one made from its schema). */
  responseFormat: ResponseFormat | undefined;
  /** Re-asks allowed per unit after invalid output (schema jobs only). */
  maxRepairAttempts: number;
  /** Identical-request index of this run, when dedup is on. */
  dedup: DedupIndex | undefined;
  /** Results reused across runs. */
  cache: ResultCache | undefined;
  /** The run's budget, when it has a `maxCost`. */
  budget: Budget | undefined;
  /** Output tokens a call may produce (the job's `maxTokens` or the default), for worst-case costs. */
  maxOutputTokens: number;
  /** Prompt bytes every request carries besides its messages (the schema), for worst-case costs. */
  extraInputBytes: number;
  /** Shared AIMD controller, when the engine is adaptive. */
  adaptive: AdaptiveConcurrency | undefined;
  /** Job-level part of result-cache keys (provider, model, parameters, output, message layout). */
  fingerprint: string;
}
