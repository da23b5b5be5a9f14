import type { CheckpointStore } from '../engine/checkpoint.js';
import type { JobSpec } from '../engine/options.js';
import { unitKey } from '../engine/unit-results.js';
import { type LLMBatchError, toLLMBatchError } from '../errors.js';
import { abortedError } from '../internal/policies-abort.js';
import type { CompiledOutputSchema } from '../output/output-schema.js';
import { type CompiledTemplate, visitRenderedParts } from '../prompt/template.js';
import { defaultMaxOutputTokens } from '../providers/max-tokens.js';
import type { Unit } from '../types.js';
import type { PriceTable } from './price-table.js';
import { createTokenCounter } from './token-counter.js';

/**
 * What a job would cost before it runs: tokens and USD as low / expected / high bounds.
 *
 * @example
 * ```ts
 * const estimate = await engine.estimate(rows, job);
 * console.log(`${estimate.units} units, $${estimate.cost?.expected.toFixed(2)} (up to $${estimate.cost?.high.toFixed(2)})`);
 * ```
 */
export interface Estimate {
  /** Units that would be sent (read, minus checkpointed and unrenderable ones). */
  units: number;
  /** Units the checkpoint says are done (not counted in `units`). */
  skipped: number;
  /** Units that cannot be sent (not an object, no key, a template field missing); see `warnings`. */
  invalidUnits: number;
  /** The model as the job names it. */
  model: string;
  /** Version of the price data. */
  pricingVersion: string;
  /** How input tokens were counted: `o200k_base`, `cl100k_base` or `approximate (N chars/token)`. */
  tokenizer: string;
  /** Prompt tokens of all units (messages, chat framing and the schema). */
  inputTokens: number;
  /**
   * Output tokens of all units. `low`: 0 (a floor: input only). `expected`: `expectedOutputTokens`
   * (default `min(maxTokens, 256)`) per unit. `high`: `maxTokens` per unit (4096 when unset).
   */
  outputTokens: { low: number; expected: number; high: number };
  /** USD for the same bounds, input at the uncached rate; `null` when the model has no price. */
  cost: { low: number; expected: number; high: number } | null;
  /** Units whose prompt plus `maxTokens` does not fit the model's context window. */
  overContextWindow: number;
  /** Keys of the first 20 of those units. */
  overContextKeys: string[];
  /** The model's context window in tokens, when known. */
  contextWindow: number | null;
  /** What the figures rest on and what looks wrong (unknown price, approximate tokenizer, …). */
  warnings: string[];
}

/**
 * Options of `engine.estimate()`.
 *
 * @example
 * ```ts
 * const options: EstimateOptions = { checkpoint, expectedOutputTokens: 40, onProgress: ({ read }) => bar.update(read) };
 * ```
 */
export interface EstimateOptions {
  /** Cancels the estimate (it rejects with an `aborted` error). */
  signal?: AbortSignal;
  /** Leaves out units already done, as a resumed run would. @default none */
  checkpoint?: CheckpointStore;
  /** Output tokens expected per unit. @default min(maxTokens, 256) */
  expectedOutputTokens?: number;
  /** Called every 4096 units read, e.g. to draw progress on a large file. */
  onProgress?: (progress: { read: number }) => void;
}

/** What `estimateJob` needs from the engine. */
export interface EstimateInput {
  providerName: string;
  model: string;
  priceKey: string;
  job: JobSpec;
  user: CompiledTemplate;
  system: CompiledTemplate | undefined;
  schema: CompiledOutputSchema | undefined;
  maxRepairAttempts: number;
  prices: PriceTable;
}

const expectedOutputDefault = 256;
// OpenAI chat framing: each message costs its role and separators, and every reply is primed.
const tokensPerMessage = 4;
const tokensPerReply = 3;
const maxKeys = 20;
const yieldEvery = 4096;

/**
 * Streams `source` once, rendering every prompt and counting its tokens; memory stays constant
 * whatever the number of units (only counters and the first keys over the context window are kept).
 */
export async function estimateJob(
  source: AsyncIterable<Unit> | Iterable<Unit>,
  input: EstimateInput,
  options: EstimateOptions = {},
): Promise<Estimate> {
  const { job, prices } = input;
  const { signal } = options;
  const counter = await createTokenCounter(input.providerName, input.model);
  const literalTokens = new Map<string, number>();
  let unitTokens = 0;
  const visit = (text: string, literal: boolean): void => {
    if (!literal) {
      unitTokens += counter.count(text);
      return;
    }
    let tokens = literalTokens.get(text);
    if (tokens === undefined) {
      tokens = counter.count(text);
      literalTokens.set(text, tokens);
    }
    unitTokens += tokens;
  };
  const schemaTokens = input.schema === undefined ? 0 : counter.count(input.schema.fingerprint);
  const fixedTokens = tokensPerReply + tokensPerMessage * (input.system === undefined ? 1 : 2) + schemaTokens;
  const price = prices.lookup(input.priceKey);
  const contextWindow = price?.contextWindow ?? null;
  const maxTokens = job.maxTokens ?? defaultMaxOutputTokens;
  const contextNeed = job.maxTokens ?? 0;

  let read = 0;
  let units = 0;
  let skipped = 0;
  let invalidUnits = 0;
  let firstInvalid: LLMBatchError | undefined;
  let inputTokens = 0;
  let overContextWindow = 0;
  const overContextKeys: string[] = [];
  for await (const unit of source) {
    const index = read++;
    if (read % yieldEvery === 0) {
      options.onProgress?.({ read });
      // Lets timers (a progress bar) and the abort signal through on large synchronous sources.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (signal?.aborted) throw abortedError(signal);
    let key: string;
    try {
      key = unitKey(unit, index, job.keyField);
      if (options.checkpoint !== undefined && (await options.checkpoint.isDone(key, index))) {
        skipped++;
        continue;
      }
      unitTokens = fixedTokens;
      if (input.system !== undefined) visitRenderedParts(input.system, unit, key, visit);
      visitRenderedParts(input.user, unit, key, visit);
    } catch (error) {
      invalidUnits++;
      firstInvalid ??= toLLMBatchError(error, 'invalid-unit');
      continue;
    }
    units++;
    inputTokens += unitTokens;
    if (contextWindow !== null && unitTokens + contextNeed > contextWindow) {
      overContextWindow++;
      if (overContextKeys.length < maxKeys) overContextKeys.push(key);
    }
  }
  if (signal?.aborted) throw abortedError(signal);

  const expectedPerUnit = Math.min(maxTokens, options.expectedOutputTokens ?? expectedOutputDefault);
  const outputTokens = { low: 0, expected: units * expectedPerUnit, high: units * maxTokens };
  const inputCost = price === undefined ? 0 : (inputTokens * price.input) / 1_000_000;
  const outputCost = (tokens: number) => (price === undefined ? 0 : (tokens * price.output) / 1_000_000);
  const cost =
    price === undefined
      ? null
      : {
          low: inputCost,
          expected: inputCost + outputCost(outputTokens.expected),
          high: inputCost + outputCost(outputTokens.high),
        };

  const warnings: string[] = [];
  if (price === undefined) {
    warnings.push(`no price known for ${input.priceKey}: cost is null (add a price override)`);
  } else if (contextWindow === null) {
    warnings.push(`the context window of ${input.priceKey} is unknown: units over it are not counted`);
  }
  if (!counter.exact) {
    warnings.push(
      `input tokens of ${input.model} are approximated (${counter.tokenizer}); no public tokenizer`,
    );
  }
  if (job.maxTokens === undefined) {
    warnings.push(
      `maxTokens is not set: the high bound assumes ${defaultMaxOutputTokens} output tokens per unit`,
    );
  }
  if (input.schema !== undefined && input.maxRepairAttempts > 0) {
    warnings.push(
      `invalid outputs are re-asked up to ${input.maxRepairAttempts} ${input.maxRepairAttempts === 1 ? 'time' : 'times'} per unit; the bounds count one call per unit`,
    );
  }
  if (overContextWindow > 0) {
    warnings.push(
      `${overContextWindow} ${overContextWindow === 1 ? 'unit does' : 'units do'} not fit the context window of ${contextWindow} tokens${contextNeed > 0 ? ` with maxTokens ${contextNeed}` : ''}`,
    );
  }
  if (firstInvalid !== undefined) {
    warnings.push(
      `${invalidUnits} ${invalidUnits === 1 ? 'unit' : 'units'} cannot be sent (first: ${firstInvalid.message})`,
    );
  }
  return {
    units,
    skipped,
    invalidUnits,
    model: job.model,
    pricingVersion: prices.pricingVersion,
    tokenizer: counter.tokenizer,
    inputTokens,
    outputTokens,
    cost,
    overContextWindow,
    overContextKeys,
    contextWindow,
    warnings,
  };
}
