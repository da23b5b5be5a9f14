import { LLMBatchError } from '../errors.js';
import type { OutputRead } from '../output/read-output.js';
import type { ChatMessage, ProviderRequest, ResponseFormat } from '../providers/provider.js';
import {
  type AttemptRecord,
  addUsage,
  emptyUsage,
  type Unit,
  type UnitResult,
  type Usage,
} from '../types.js';
import type { JobSpec } from './options.js';
import type { CachedResult } from './result-cache.js';

/** A request without its signal: what a unit sends, built once and reused by retries. */
export type PreparedRequest = Omit<ProviderRequest, 'signal'>;

/** The key of a unit: its `keyField`, or its index. Throws `invalid-unit` for a non-object or a missing key. */
export function unitKey(unit: Unit, index: number, keyField: string | undefined): string {
  if (unit === null || typeof unit !== 'object' || Array.isArray(unit)) {
    throw new LLMBatchError({
      code: 'invalid-unit',
      message: `unit at index ${index} is ${Array.isArray(unit) ? 'an array' : typeof unit}, expected a plain object`,
      details: { index },
    });
  }
  if (keyField === undefined) return String(index);
  let current: unknown = unit;
  for (const segment of keyField.split('.')) {
    current =
      current !== null && typeof current === 'object' && Object.hasOwn(current, segment)
        ? (current as Record<string, unknown>)[segment]
        : undefined;
  }
  if (typeof current === 'string' && current !== '') return current;
  if (typeof current === 'number' || typeof current === 'bigint') return String(current);
  throw new LLMBatchError({
    code: 'invalid-unit',
    message: `unit at index ${index} has no usable key field "${keyField}" (expected a non-empty string or a number)`,
    details: { index, keyField },
  });
}

/** The request for a unit's messages under the job's parameters. */
export function buildRequest(
  model: string,
  messages: ChatMessage[],
  job: JobSpec,
  responseFormat: ResponseFormat | undefined,
): PreparedRequest {
  const request: PreparedRequest = { model, messages };
  if (job.temperature !== undefined) request.temperature = job.temperature;
  if (job.maxTokens !== undefined) request.maxTokens = job.maxTokens;
  if (job.seed !== undefined) request.seed = job.seed;
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  if (job.headers !== undefined) request.headers = job.headers;
  return request;
}

/** Rough token demand of a request for the tokens-per-minute limiter: 4 characters a token plus the output bound. */
export function estimateTokens(request: PreparedRequest): number {
  let characters = 0;
  for (const message of request.messages) characters += message.content.length;
  return Math.ceil(characters / 4) + (request.maxTokens ?? 256);
}

/** Usage summed over attempts. */
export function sumUsage(attempts: readonly AttemptRecord[], from = 0): Usage {
  const usage = emptyUsage();
  for (let index = from; index < attempts.length; index++) {
    const attempt = attempts[index];
    if (attempt?.usage !== undefined) addUsage(usage, attempt.usage);
  }
  return usage;
}

/** Cost summed over attempts (from `from`): `null` as soon as one answered attempt has no known price. */
export function sumCost(attempts: readonly AttemptRecord[], from = 0): number | null {
  let total = 0;
  for (let index = from; index < attempts.length; index++) {
    const cost = attempts[index]?.cost;
    if (cost === null) return null;
    if (cost !== undefined) total += cost;
  }
  return total;
}

/** The result of a unit whose call answered: `ok`, or `output-invalid` with the final validation issues. */
export function answeredResult(
  index: number,
  key: string,
  raw: string,
  read: OutputRead,
  attempts: AttemptRecord[],
  durationMs: number,
): UnitResult {
  const base = {
    index,
    key,
    raw,
    warnings: read.warnings,
    usage: sumUsage(attempts),
    cost: sumCost(attempts),
    attempts,
    durationMs,
  };
  if (read.ok) return { ...base, status: 'ok', value: read.value };
  const repairs = attempts.filter((attempt) => attempt.repair === true).length;
  const error = new LLMBatchError({
    code: 'output-invalid',
    message: `unit ${key}: ${read.error}${repairs > 0 ? ` (after ${repairs} repair ${repairs === 1 ? 'attempt' : 'attempts'})` : ''}`,
    isRetryable: false,
    isAvailabilityFailure: false,
    details: { issues: read.issues, repairAttempts: repairs },
  });
  return { ...base, status: 'error', value: undefined, error: error.toJSON() };
}

/** The result of a unit that failed without a usable answer. */
export function failedResult(
  index: number,
  key: string,
  error: LLMBatchError,
  attempts: AttemptRecord[],
  durationMs: number,
): UnitResult {
  return {
    index,
    key,
    status: 'error',
    value: undefined,
    raw: undefined,
    warnings: [],
    usage: sumUsage(attempts),
    cost: sumCost(attempts),
    attempts,
    error: error.toJSON(),
    durationMs,
  };
}

/** The result of a unit answered by an earlier identical request or the cache: no usage, no cost. */
export function reusedResult(
  index: number,
  key: string,
  reused: CachedResult,
  durationMs: number,
): UnitResult {
  return {
    index,
    key,
    status: 'ok',
    // Each unit gets its own copy, so a consumer that edits one value does not change another.
    value: structuredClone(reused.value),
    raw: reused.raw,
    warnings: [...reused.warnings],
    usage: emptyUsage(),
    cost: 0,
    attempts: [],
    durationMs,
    cached: true,
  };
}
