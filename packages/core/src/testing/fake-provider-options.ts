import * as z from 'zod';
import type { Clock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import type { FakeLatency, FakeRespond } from './fake-reply.js';
import type { FakeRateLimit } from './rate-limiter.js';

/**
 * How the fake provider behaves, whether it listens itself ({@link startFakeProvider}) or is embedded
 * in another server ({@link createFakeProviderHandler}).
 *
 * @example
 * ```ts
 * const options: FakeProviderHandlerOptions = { latencyMs: 50, rateLimit: { requestsPerMinute: 600 } };
 * ```
 */
export interface FakeProviderHandlerOptions {
  /** Milliseconds to wait before answering, or a function of the request. Change later with `setLatency`. @default 0 */
  latencyMs?: FakeLatency;
  /** Decides each reply; return `undefined` for the default echo reply. Change later with `setRespond`. @default the echo reply */
  respond?: FakeRespond;
  /** Enforce request and token limits with 429s, like a real account tier. @default no limit */
  rateLimit?: FakeRateLimit;
  /** How many of the latest requests `log` keeps. @default 1000 */
  logSize?: number;
  /** Where the rate limiter reads the time; a test can pass a clock it moves by hand. @default the system clock */
  clock?: Pick<Clock, 'now'>;
}

/**
 * Options of {@link startFakeProvider}.
 *
 * @example
 * ```ts
 * const server = await startFakeProvider({ port: 0, latencyMs: 20 });
 * ```
 */
export interface FakeProviderOptions extends FakeProviderHandlerOptions {
  /** TCP port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
}

const isFunction = (value: unknown) => typeof value === 'function';

const latencySchema = z.union([
  z.number().finite().min(0),
  z.custom<(...args: never[]) => unknown>(isFunction, 'expected a number or a function'),
]);

const handlerShape = {
  latencyMs: latencySchema.optional(),
  respond: z.custom<(...args: never[]) => unknown>(isFunction, 'expected a function').optional(),
  rateLimit: z
    .strictObject({
      requestsPerMinute: z.number().finite().min(1).optional(),
      tokensPerMinute: z.number().finite().min(1).optional(),
    })
    .optional(),
  logSize: z.number().int().min(0).optional(),
  clock: z.looseObject({ now: z.custom<() => number>(isFunction, 'expected a function') }).optional(),
};

const handlerSchema = z.strictObject(handlerShape);

const serverSchema = z.strictObject({
  ...handlerShape,
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.string().min(1).optional(),
});

function check(schema: z.ZodType, value: unknown, what: string): void {
  const result = schema.safeParse(value);
  if (result.success) return;
  const issue = result.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? what : issue.path.join('.');
  let received: unknown = value;
  for (const key of issue?.path ?? []) {
    received = typeof received === 'object' && received !== null ? Reflect.get(received, key) : undefined;
  }
  const shown = typeof received === 'function' ? 'a function' : JSON.stringify(received);
  throw new LLMBatchError({
    code: 'invalid-options',
    message: `Fake provider option "${field}" is invalid (received ${shown}): ${issue?.message ?? 'invalid'}`,
    details: { field, issues: result.error.issues },
  });
}

/** Throws `invalid-options` naming the field when handler options are malformed. */
export function checkHandlerOptions(options: FakeProviderHandlerOptions): void {
  check(handlerSchema, options, 'options');
}

/** Throws `invalid-options` naming the field when server options are malformed. */
export function checkServerOptions(options: FakeProviderOptions): void {
  check(serverSchema, options, 'options');
}

/** Throws `invalid-options` when a latency given to `setLatency` is malformed. */
export function checkLatency(latency: FakeLatency): void {
  check(latencySchema, latency, 'latencyMs');
}
