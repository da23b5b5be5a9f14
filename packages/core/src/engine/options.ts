import * as z from 'zod';
import type { Clock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isZodSchema, type OutputSchema } from '../output/output-schema.js';
import type { AdaptiveOptions } from '../policies/adaptive-concurrency.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { Interpolation } from '../prompt/template.js';
import type { Provider, ResponseFormat } from '../providers/provider.js';
import type { ProvidersConfig } from '../providers/registry.js';
import type { CheckpointStore } from './checkpoint.js';
import type { ResultCache } from './result-cache.js';

/** Options of `createEngine`. Every field is optional. */
export interface EngineOptions {
  /**
   * Providers by name, used by `provider:model` strings in jobs. A `mock` provider is always
   * available unless replaced.
   * @default { mock: createMockProvider() }
   */
  providers?: Record<string, Provider>;
  /**
   * Settings to build providers from when a job names one that `providers` lacks (`openai:…`,
   * `anthropic:…`, a `compatible` name). Built on first use, closed by `engine.close()`. The engine reads
   * no environment variables: pass keys here.
   * @default none
   */
  providerConfig?: ProvidersConfig;
  /** Maximum calls in flight at once (the ceiling of adaptive rate control). @default 16 */
  concurrency?: number;
  /**
   * Adaptive rate control (AIMD): the concurrency shrinks on 429s and when the provider's rate-limit
   * headers say its allowance runs low, and grows back to `concurrency` on sustained success; attempts
   * are paced from those headers. Shared by every run of the engine. See docs/rate-control.md.
   * @default false
   */
  adaptive?: boolean | AdaptiveOptions;
  /**
   * Where successful results are kept across runs (keyed by a hash of the request); hits cost nothing and
   * are reported as `cached: true`. Errors are never cached. `createMemoryCache()` is built in.
   * @default none
   */
  cache?: ResultCache;
  /** Requests per minute across all runs of this engine (token bucket). @default unlimited */
  requestsPerMinute?: number;
  /** Tokens per minute across all runs (prompt estimate + maxTokens per request). @default unlimited */
  tokensPerMinute?: number;
  /** Total time allowed for one attempt (connect + headers + body), in milliseconds. @default 60000 */
  timeoutMs?: number;
  /** Retry policy for retryable failures (connection, timeout, 408, 409, 429, 5xx). */
  retry?: {
    /** Retries after the first attempt. @default 4 */
    maxRetries?: number;
    /** First backoff step in milliseconds (full jitter, doubling). @default 500 */
    baseDelayMs?: number;
    /** Largest backoff in milliseconds. @default 30000 */
    maxDelayMs?: number;
    /** Largest wait honoured from `retry-after` / `retry-after-ms`. @default 60000 */
    maxRetryAfterMs?: number;
  };
  /** Circuit breaker over provider availability failures. */
  breaker?: {
    /** Consecutive availability failures (after retries) that open it. @default 5 */
    failureThreshold?: number;
    /** Milliseconds open before one probe is let through. @default 30000 */
    resetTimeoutMs?: number;
    /** While open, units `wait` for it, or `fail-fast` with code `circuit-open`. @default 'wait' */
    whenOpen?: 'wait' | 'fail-fast';
  };
  /**
   * Most results held ahead of the consumer: in ordered mode a slow unit holds back at most this many
   * finished results before the engine stops reading input.
   * @default max(1024, 8 × concurrency)
   */
  reorderWindow?: number;
  /** Prices for cost tracking. @default createPriceTable() */
  prices?: PriceTable;
  /** Time source. @default systemClock */
  clock?: Clock;
  /** Where the engine logs. @default silentLogger */
  logger?: Logger;
  /** Milliseconds between `progress` events. @default 500 */
  progressIntervalMs?: number;
}

/** What to do for each unit. */
export interface JobSpec {
  /** `provider:model`, e.g. `openai:gpt-4o-mini` or `mock:echo`. A bare model name uses the only registered non-mock provider. */
  model: string;
  /** User message template with `{{field}}` placeholders. */
  prompt: string;
  /** System message template. */
  system?: string;
  /** `json`: extract a JSON value from the output; `text`: keep the text as is. @default 'json' */
  output?: 'json' | 'text';
  /** How unit values are inserted into templates. @default 'json' */
  interpolation?: Interpolation;
  /** Sampling temperature. */
  temperature?: number;
  /** Upper bound on output tokens. */
  maxTokens?: number;
  /** Seed, for providers that support it. */
  seed?: number;
  /**
   * Structured output request passed to the provider as is. With a `schema` it defaults to a
   * `json_schema` request made from that schema.
   */
  responseFormat?: ResponseFormat;
  /**
   * The shape every output must have: a zod schema or a JSON Schema object (2020-12). The provider is
   * asked for it (OpenAI `json_schema`, strict when the schema allows; Anthropic a forced tool), the
   * output is validated, repaired locally (type coercion) when it can be, and otherwise the model is
   * asked again with the validation errors. Needs `output: 'json'`. See docs/structured-output.md.
   */
  schema?: OutputSchema;
  /** Name of the schema sent to the provider (letters, digits, `_`, `-`). @default 'output' */
  schemaName?: string;
  /** Times the model is asked again after output that fails `schema`. @default 1 */
  maxRepairAttempts?: number;
  /** Extra HTTP headers per request. */
  headers?: Record<string, string>;
  /** Dotted path of the field that identifies a unit (for resume and joins). @default the input index */
  keyField?: string;
}

/** Options of one `engine.run()`. */
export interface RunOptions {
  /** Cancels the run: dispatch stops and in-flight requests are aborted. */
  signal?: AbortSignal;
  /** Yield results in input order (`true`) or as they complete. @default true */
  ordered?: boolean;
  /** Skips units already done and hears about finished ones. */
  checkpoint?: CheckpointStore;
  /**
   * Budget in USD. Before each call its worst-case cost (every prompt byte a token, plus `maxTokens` of
   * output) is reserved, and its real cost settled after; dispatch stops when the next unit could exceed
   * the budget, with summary `reason: 'budget-exceeded'` and `budget: { maxCost, spent, remaining }`.
   * Units not sent are counted in `notAttempted` and not yielded. Needs a known price for the model.
   * @default no budget
   */
  maxCost?: number;
  /**
   * Send identical requests (same provider, model, parameters and messages) once and give every unit
   * the result (`cached: true`, cost 0, counted in `dedupHits` and `savedCost`). `true` remembers the
   * last 10,000 distinct finished requests; `maxEntries` changes that bound. Off by default: keying and
   * remembering requests costs about 10 µs of CPU per unit, which a run without duplicates should not
   * pay, and identical prompts at temperature > 0 may be meant to be sampled separately.
   * @default false
   */
  dedup?: boolean | { maxEntries?: number };
}

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();

const engineOptionsSchema = z.object({
  providers: z.record(z.string(), z.object({ name: z.string(), complete: z.function() }).loose()).optional(),
  concurrency: positiveInt.max(100_000).optional(),
  requestsPerMinute: z.number().positive().optional(),
  tokensPerMinute: z.number().positive().optional(),
  timeoutMs: positiveInt.optional(),
  retry: z
    .object({
      maxRetries: z.number().int().nonnegative().max(100).optional(),
      baseDelayMs: nonNegative.optional(),
      maxDelayMs: nonNegative.optional(),
      maxRetryAfterMs: nonNegative.optional(),
    })
    .strict()
    .optional(),
  breaker: z
    .object({
      failureThreshold: positiveInt.optional(),
      resetTimeoutMs: positiveInt.optional(),
      whenOpen: z.enum(['wait', 'fail-fast']).optional(),
    })
    .strict()
    .optional(),
  reorderWindow: positiveInt.optional(),
  prices: z.unknown().optional(),
  clock: z.unknown().optional(),
  logger: z.unknown().optional(),
  progressIntervalMs: positiveInt.optional(),
  providerConfig: z.object({}).loose().optional(),
  adaptive: z
    .union([
      z.boolean(),
      z
        .object({
          minConcurrency: positiveInt.optional(),
          increaseEvery: positiveInt.optional(),
          decreaseFactor: z.number().gt(0).lt(1).optional(),
        })
        .strict(),
    ])
    .optional(),
  cache: z.object({ get: z.function(), set: z.function() }).loose().optional(),
});

const jobSchema = z
  .object({
    model: z.string().min(1),
    prompt: z.string().min(1),
    system: z.string().optional(),
    output: z.enum(['json', 'text']).optional(),
    interpolation: z.enum(['json', 'raw']).optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: positiveInt.optional(),
    seed: z.number().int().optional(),
    responseFormat: z
      .union([
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z.object({
          type: z.literal('json_schema'),
          name: z.string().min(1),
          schema: z.record(z.string(), z.unknown()),
          strict: z.boolean().optional(),
        }),
      ])
      .optional(),
    headers: z.record(z.string(), z.string()).optional(),
    keyField: z.string().min(1).optional(),
    schema: z
      .custom<OutputSchema>(
        (value) =>
          isZodSchema(value) || (value !== null && typeof value === 'object' && !Array.isArray(value)),
        'expected a zod schema or a JSON Schema object',
      )
      .optional(),
    schemaName: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'expected 1 to 64 letters, digits, _ or -')
      .optional(),
    maxRepairAttempts: z.number().int().min(0).max(10).optional(),
  })
  .strict()
  .refine((job) => job.schema === undefined || job.output !== 'text', {
    message: "a schema needs output 'json'",
    path: ['output'],
  });

const runOptionsSchema = z.object({
  signal: z.unknown().optional(),
  ordered: z.boolean().optional(),
  checkpoint: z.unknown().optional(),
  maxCost: z.number().positive().finite().optional(),
  dedup: z.union([z.boolean(), z.object({ maxEntries: positiveInt.optional() }).strict()]).optional(),
});

/** Throws `invalid-options` naming each bad field and the value received. */
export function validateEngineOptions(options: unknown): void {
  check(engineOptionsSchema, options, 'engine options');
}

/** Throws `invalid-options` naming each bad field and the value received. */
export function validateJob(job: unknown): void {
  check(jobSchema, job, 'job');
}

/** Throws `invalid-options` naming each bad field and the value received. */
export function validateRunOptions(options: unknown): void {
  check(runOptionsSchema, options, 'run options');
}

function check(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const received = path === '' ? value : issue.path.reduce<unknown>(pick, value);
    return `${path || '(root)'}: ${issue.message} (received ${describe(received)})`;
  });
  throw new LLMBatchError({
    code: 'invalid-options',
    message: `invalid ${what}: ${problems.join('; ')}`,
    details: {
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    },
  });
}

function pick(current: unknown, segment: PropertyKey): unknown {
  return current !== null && typeof current === 'object'
    ? (current as Record<PropertyKey, unknown>)[segment]
    : undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text;
  } catch {
    return typeof value;
  }
}
