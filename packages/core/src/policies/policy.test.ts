import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rejection } from '../internal/policies-test-support.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { wrap } from './policy.js';
import { createRateLimiter } from './rate-limiter.js';
import { createRetryPolicy } from './retry.js';
import { createTimeoutPolicy } from './timeout.js';

describe('wrap(breaker, retry, rate limit, timeout)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times out and paces each attempt, and counts one breaker failure per exhausted unit', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2, whenOpen: 'fail-fast' });
    const limiter = createRateLimiter({ requestsPerMinute: 600 });
    const acquire = vi.spyOn(limiter, 'acquire');
    const policy = wrap(
      breaker,
      createRetryPolicy({ maxRetries: 2, baseDelayMs: 1_000, random: () => 0 }),
      limiter.asPolicy(0),
      createTimeoutPolicy({ timeoutMs: 100 }),
    );
    const attemptsStartedAt: number[] = [];
    const hang = ({ signal }: { signal: AbortSignal }) => {
      attemptsStartedAt.push(Date.now());
      return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    const start = Date.now();
    const unit = policy.execute(hang, { signal: new AbortController().signal, attempt: 1 });
    const failure = rejection(unit);
    await vi.advanceTimersByTimeAsync(300);
    const error = await failure;
    expect(error.code).toBe('retries-exhausted');
    expect(error.details?.attempts).toBe(3);
    expect(attemptsStartedAt.map((at) => at - start)).toEqual([0, 100, 200]);
    expect(acquire).toHaveBeenCalledTimes(3);
    expect(breaker.toJSON()).toMatchObject({ state: 'closed', consecutiveFailures: 1 });

    const second = rejection(policy.execute(hang, { signal: new AbortController().signal, attempt: 1 }));
    await vi.advanceTimersByTimeAsync(300);
    expect((await second).code).toBe('retries-exhausted');
    expect(breaker.state).toBe('open');
    await expect(
      policy.execute(hang, { signal: new AbortController().signal, attempt: 1 }),
    ).rejects.toMatchObject({
      code: 'circuit-open',
    });
    expect(vi.getTimerCount()).toBe(0);
  });
});
