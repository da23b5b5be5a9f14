import * as z from 'zod';
import type { Clock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PriceTable } from '../pricing/price-table.js';
import type { Interpolation } from '../prompt/template.js';
import type { Provider, ResponseFormat } from '../providers/provider.js';
import type { CheckpointStore } from './checkpoint.js';

/** Options of `createEngine`. Every field is optional. */
export interface EngineOptions {
  /**
   * Providers by name, used by `provider:model` strings in jobs. A `mock` provider is always
   * available unless replaced.
   * @default { mock: createMockProvider() }
   */
  providers?: Record<string, Provider>;
  /** Maximum calls in flight at once. @default 16 */
  concurrency?: number;
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
  /** Structured output request passed to the provider. */
  responseFormat?: ResponseFormat;
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
  })
  .strict();

/** Throws `invalid-options` naming each bad field and the value received. */
export function validateEngineOptions(options: unknown): void {
  check(engineOptionsSchema, options, 'engine options');
}

/** Throws `invalid-options` naming each bad field and the value received. */
export function validateJob(job: unknown): void {
  check(jobSchema, job, 'job');
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
