import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LLMBatchError } from '../errors.js';
import { rejection } from '../internal/policies-test-support.js';
import { createRetryPolicy, parseRetryAfter, type RetryEvent } from './retry.js';

const unavailable = (message = 'upstream 503') =>
  new LLMBatchError({ code: 'provider-unavailable', message, status: 503 });

describe('createRetryPolicy', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries retryable failures and numbers the attempts 1, 2, 3', async () => {
    const retry = createRetryPolicy({ random: () => 0 });
    const attempts: number[] = [];
    const value = await retry.execute(
      async ({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw unavailable();
        return 'third time lucky';
      },
      { signal: new AbortController().signal, attempt: 1 },
    );
    expect(value).toBe('third time lucky');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('waits exactly the Retry-After of a 429 before the next attempt', async () => {
    const retry = createRetryPolicy({ random: () => 1 });
    const startedAt: number[] = [];
    const call = retry.execute(
      async () => {
        startedAt.push(Date.now());
        if (startedAt.length === 1) {
          throw new LLMBatchError({
            code: 'rate-limited',
            message: 'slow down',
            status: 429,
            retryAfterMs: 2_000,
          });
        }
        return 'ok';
      },
      { signal: new AbortController().signal, attempt: 1 },
    );
    await vi.advanceTimersByTimeAsync(1_999);
    expect(startedAt).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(startedAt).toHaveLength(2);
    expect((startedAt[1] ?? 0) - (startedAt[0] ?? 0)).toBe(2_000);
    await expect(call).resolves.toBe('ok');
  });

  it('caps a Retry-After above maxRetryAfterMs and still retries after the cap', async () => {
    const retry = createRetryPolicy({ maxRetryAfterMs: 5_000 });
    const fn = vi.fn(async ({ attempt }: { attempt: number }) => {
      if (attempt === 1)
        throw new LLMBatchError({ code: 'rate-limited', message: '429', retryAfterMs: 600_000 });
      return 'ok';
    });
    const call = retry.execute(fn, { signal: new AbortController().signal, attempt: 1 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await expect(call).resolves.toBe('ok');
  });

  it('backs off exponentially with full jitter, capped at maxDelayMs, telling onRetry first', async () => {
    const events: RetryEvent[] = [];
    const retry = createRetryPolicy({
      maxRetries: 5,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => 0.5,
      onRetry: (event) => events.push(event),
    });
    const call = rejection(
      retry.execute(
        async () => {
          throw unavailable();
        },
        { signal: new AbortController().signal, attempt: 1 },
      ),
    );
    await vi.runAllTimersAsync();
    const error = await call;
    expect(events.map(({ attempt, delayMs }) => [attempt, delayMs])).toEqual([
      [1, 50],
      [2, 100],
      [3, 200],
      [4, 400],
      [5, 500],
    ]);
    expect(events[0]?.error.code).toBe('provider-unavailable');
    expect(error.details?.attempts).toBe(6);
  });

  it('rethrows non-retryable and foreign errors at once, without retrying', async () => {
    const retry = createRetryPolicy();
    const context = { signal: new AbortController().signal, attempt: 1 };
    const rejected = new LLMBatchError({ code: 'provider-rejected', message: 'bad request', status: 400 });
    const first = vi.fn(() => Promise.reject(rejected));
    await expect(retry.execute(first, context)).rejects.toBe(rejected);
    expect(first).toHaveBeenCalledTimes(1);

    const bug = new TypeError('cannot read properties of undefined');
    const second = vi.fn(() => Promise.reject(bug));
    await expect(retry.execute(second, context)).rejects.toBe(bug);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('throws `retries-exhausted` carrying every attempt and the last error', async () => {
    const retry = createRetryPolicy({ maxRetries: 2, random: () => 0 });
    let attempt = 0;
    const error = await rejection(
      retry.execute(
        async () => {
          attempt++;
          throw unavailable(`upstream 503 #${attempt}`);
        },
        { signal: new AbortController().signal, attempt: 1 },
      ),
    );
    expect(error.code).toBe('retries-exhausted');
    expect(error.message).toBe('Failed after 3 attempts: upstream 503 #3');
    expect(error.isRetryable).toBe(false);
    expect(error.isAvailabilityFailure).toBe(true);
    expect(error.status).toBe(503);
    expect((error.cause as LLMBatchError).message).toBe('upstream 503 #3');
    expect(error.details).toEqual({
      attempts: 3,
      errors: [1, 2, 3].map((n) => ({
        code: 'provider-unavailable',
        message: `upstream 503 #${n}`,
        isRetryable: true,
        status: 503,
      })),
    });
  });

  it('takes isAvailabilityFailure from the last error and allows maxRetries 0', async () => {
    const retry = createRetryPolicy({ maxRetries: 0 });
    const conflict = new LLMBatchError({
      code: 'provider-rejected',
      message: 'conflict',
      status: 409,
      isRetryable: true,
    });
    const error = await rejection(
      retry.execute(() => Promise.reject(conflict), { signal: new AbortController().signal, attempt: 1 }),
    );
    expect(error.code).toBe('retries-exhausted');
    expect(error.message).toBe('Failed after 1 attempt: conflict');
    expect(error.isAvailabilityFailure).toBe(false);
    expect(error.status).toBe(409);
  });

  it('stops waiting with `aborted` as soon as the signal aborts, leaving no timer or listener', async () => {
    const controller = new AbortController();
    const retry = createRetryPolicy({ baseDelayMs: 10_000, random: () => 1 });
    const fn = vi.fn(async () => {
      throw unavailable();
    });
    const call = rejection(retry.execute(fn, { signal: controller.signal, attempt: 1 }));
    await vi.advanceTimersByTimeAsync(3_000);
    controller.abort();
    const error = await call;
    expect(error.code).toBe('aborted');
    expect(error.isRetryable).toBe(false);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('does not retry a retryable failure caused by its own cancellation', async () => {
    const controller = new AbortController();
    const fn = vi.fn(async () => {
      controller.abort();
      throw new LLMBatchError({ code: 'connection', message: 'socket closed' });
    });
    const error = await rejection(createRetryPolicy().execute(fn, { signal: controller.signal, attempt: 1 }));
    expect(error.code).toBe('aborted');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects invalid options naming the field', () => {
    expect(() => createRetryPolicy({ maxRetries: -1 })).toThrow(
      /createRetryPolicy: invalid option "maxRetries".*received -1/,
    );
    expect(() => createRetryPolicy({ maxRetries: 1.5 })).toThrow(/"maxRetries"/);
    expect(() => createRetryPolicy({ baseDelayMs: Number.NaN })).toThrow(/"baseDelayMs"/);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('prefers retry-after-ms, read as fractional milliseconds', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '150.5', 'retry-after': '9' }, now)).toBe(150.5);
  });

  it('falls back to retry-after when retry-after-ms is unreadable', () => {
    expect(parseRetryAfter({ 'retry-after-ms': 'soon', 'retry-after': '2' }, now)).toBe(2_000);
  });

  it('reads retry-after as whole or decimal seconds', () => {
    expect(parseRetryAfter({ 'retry-after': '120' }, now)).toBe(120_000);
    expect(parseRetryAfter({ 'retry-after': ' 1.5 ' }, now)).toBe(1_500);
    expect(parseRetryAfter({ 'retry-after': '0' }, now)).toBe(0);
  });

  it('reads retry-after as an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, now)).toBe(0);
  });

  it('takes the first of repeated values and matches names in any case', () => {
    expect(parseRetryAfter({ 'retry-after': ['3', '7'] }, now)).toBe(3_000);
    expect(parseRetryAfter({ 'Retry-After': '4' }, now)).toBe(4_000);
  });

  it('returns undefined for missing or garbage values', () => {
    expect(parseRetryAfter({}, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': undefined }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '-5' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'later' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': '12abc' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after-ms': '-1' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after-ms': 'Infinity' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': [] }, now)).toBeUndefined();
  });
});
