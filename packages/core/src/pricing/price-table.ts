import { LLMBatchError } from '../errors.js';
import type { Usage } from '../types.js';
import defaultPrices from './prices.json' with { type: 'json' };

/** Prices of one model in USD per million tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  input: number;
  /** Input tokens read from the prompt cache. @default input */
  cachedInput?: number;
  /** Input tokens written to the prompt cache (Anthropic). @default input */
  cacheWrite?: number;
  /** Output tokens. */
  output: number;
  /** Input tokens through the provider's batch API. */
  batchInput?: number;
  /** Output tokens through the provider's batch API. */
  batchOutput?: number;
  /** Context window in tokens, for estimates. */
  contextWindow?: number;
}

/** A price table: `provider:model` → price, plus the version of the data. */
export interface PriceTable {
  /** Date or tag of the price data, recorded with every cost. */
  pricingVersion: string;
  /** Looks a model up by `provider:model`; dated snapshots (`gpt-4o-mini-2024-07-18`) fall back to their base name. */
  lookup(model: string): ModelPrice | undefined;
  /** Cost in USD of `usage` for `model`, or `null` when the model has no price. */
  cost(model: string, usage: Usage): number | null;
  /** Every priced model as `provider:model`, in table order (for listing the known models). */
  models(): string[];
}

/** Options of {@link createPriceTable}. */
export interface PriceTableOptions {
  /** Prices that replace or extend the built-in table, keyed by `provider:model`. */
  overrides?: Record<string, ModelPrice>;
  /** Version tag for the result. @default the built-in table's version, suffixed `+overrides` when overrides are given */
  pricingVersion?: string;
}

const snapshotSuffix = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * The built-in price table (data in `prices.json`), optionally with user overrides.
 * Usage counts `inputTokens` including cached and cache-written tokens; each part is priced once at
 * its own rate.
 *
 * @example
 * ```ts
 * const prices = createPriceTable({ overrides: { 'openai:my-finetune': { input: 0.3, output: 1.2 } } });
 * prices.cost('openai:gpt-4o-mini', { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 0, cacheWriteTokens: 0 });
 * ```
 */
export function createPriceTable(options: PriceTableOptions = {}): PriceTable {
  const models = new Map<string, ModelPrice>(
    Object.entries(defaultPrices.models as Record<string, ModelPrice>),
  );
  for (const [name, price] of Object.entries(options.overrides ?? {})) {
    if (!(price.input >= 0 && price.output >= 0)) {
      throw new LLMBatchError({
        code: 'invalid-options',
        message: `price override for ${name} needs non-negative input and output prices`,
        details: { model: name },
      });
    }
    models.set(name, price);
  }
  const pricingVersion =
    options.pricingVersion ??
    (options.overrides === undefined
      ? defaultPrices.pricingVersion
      : `${defaultPrices.pricingVersion}+overrides`);

  const lookup = (model: string): ModelPrice | undefined =>
    models.get(model) ?? models.get(model.replace(snapshotSuffix, ''));

  return {
    pricingVersion,
    lookup,
    models: () => [...models.keys()],
    cost(model: string, usage: Usage): number | null {
      const price = lookup(model);
      if (price === undefined) return null;
      const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
      const total =
        uncached * price.input +
        usage.cachedInputTokens * (price.cachedInput ?? price.input) +
        usage.cacheWriteTokens * (price.cacheWrite ?? price.input) +
        usage.outputTokens * price.output;
      return total / 1_000_000;
    },
  };
}
