import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PolicyContext } from './policy.js';
import { createRateLimiter } from './rate-limiter.js';

/** Starts `acquire` and records the fake time at which it resolved. */
function timed(promise: Promise<void>, start = Date.now()) {
  const record: { afterMs: number | undefined; error: unknown } = { afterMs: undefined, error: undefined };
  promise.then(
    () => {
      record.afterMs = Date.now() - start;
    },
    (error: unknown) => {
      record.error = error;
    },
  );
  return record;
}

describe('createRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('without limits resolves at once, with no allocation, timer or waiting', async () => {
    const limiter = createRateLimiter();
    const first = limiter.acquire(1_000_000);
    expect(limiter.acquire(5, new AbortController().signal)).toBe(first);
    await expect(first).resolves.toBeUndefined();
    const policy = limiter.asPolicy(10);
    await expect(
      policy.execute(async ({ attempt }) => attempt, { signal: new AbortController().signal, attempt: 7 }),
    ).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('allows a full minute of requests at once, then one per refill interval', async () => {
    const limiter = createRateLimiter({ requestsPerMinute: 60 });
    for (let index = 0; index < 60; index++) await limiter.acquire(0);
    const next = timed(limiter.acquire(0));
    await vi.advanceTimersByTimeAsync(999);
    expect(next.afterMs).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(next.afterMs).toBe(1_000);
  });

  it('waits for enough tokens to refill', async () => {
    const limiter = createRateLimiter({ tokensPerMinute: 1_000 });
    await limiter.acquire(600);
    // 200 tokens are missing; 1,000 per minute refill them in 12 s.
    const next = timed(limiter.acquire(600));
    await vi.advanceTimersByTimeAsync(11_999);
    expect(next.afterMs).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(next.afterMs).toBe(12_000);
  });

  it('serves callers in arrival order, so small requests do not starve a large one', async () => {
    const limiter = createRateLimiter({ tokensPerMinute: 1_000 });
    await limiter.acquire(1_000);
    const order: string[] = [];
    const start = Date.now();
    const large = limiter.acquire(900).then(() => order.push(`large@${Date.now()}`));
    // One second later the bucket holds enough for the small request, but the large one came first.
    await vi.advanceTimersByTimeAsync(1_000);
    const small = limiter.acquire(10).then(() => order.push(`small@${Date.now()}`));
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all([large, small]);
    // 900 tokens refill in 54 s; the small request then waits 0.6 s for its own 10.
    expect(order).toEqual([`large@${start + 54_000}`, `small@${start + 54_600}`]);
  });

  it('admits a request larger than the token capacity once the bucket is full, and later ones repay it', async () => {
    const limiter = createRateLimiter({ tokensPerMinute: 1_000 });
    await limiter.acquire(100);
    const oversized = timed(limiter.acquire(5_000));
    await vi.advanceTimersByTimeAsync(5_999);
    expect(oversized.afterMs).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(oversized.afterMs).toBe(6_000);

    // The bucket is 4,000 tokens in debt: one more token takes 4,001 tokens of refill (240.06 s).
    const after = timed(limiter.acquire(1));
    await vi.advanceTimersByTimeAsync(240_059);
    expect(after.afterMs).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(after.afterMs).toBe(240_060);
  });

  it('waits for whichever of the two limits is tighter', async () => {
    const limiter = createRateLimiter({ requestsPerMinute: 2, tokensPerMinute: 1_000_000 });
    await limiter.acquire(10);
    await limiter.acquire(10);
    const third = timed(limiter.acquire(10));
    await vi.advanceTimersByTimeAsync(29_999);
    expect(third.afterMs).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(third.afterMs).toBe(30_000);
  });

  it('drops an aborted waiter from the queue, so the callers behind it move up', async () => {
    const limiter = createRateLimiter({ tokensPerMinute: 1_000 });
    await limiter.acquire(1_000);
    const controller = new AbortController();
    const large = limiter.acquire(900, controller.signal);
    const smallController = new AbortController();
    const small = timed(limiter.acquire(10, smallController.signal));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(small.afterMs).toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);

    controller.abort();
    await expect(large).rejects.toMatchObject({ code: 'aborted', isRetryable: false });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // 1 s of refill (16.7 tokens) already covers the small request.
    await vi.advanceTimersByTimeAsync(0);
    expect(small.afterMs).toBe(1_000);
    expect(getEventListeners(smallController.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects an already aborted caller without taking anything', async () => {
    const limiter = createRateLimiter({ requestsPerMinute: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(limiter.acquire(0, controller.signal)).rejects.toMatchObject({ code: 'aborted' });
    await expect(limiter.acquire(0)).resolves.toBeUndefined();
  });

  it('as a policy, paces each call by the tokens computed from its context', async () => {
    const limiter = createRateLimiter({ tokensPerMinute: 600 });
    const asked: number[] = [];
    const policy = limiter.asPolicy((context: PolicyContext) => {
      asked.push(context.attempt);
      return context.attempt * 300;
    });
    const signal = new AbortController().signal;
    const fn = vi.fn(async (context: PolicyContext) => context.attempt);
    await expect(policy.execute(fn, { signal, attempt: 2 })).resolves.toBe(2);
    const second = timed(policy.execute(fn, { signal, attempt: 1 }).then(() => undefined));
    // 300 tokens are missing at 600 per minute: 30 s.
    await vi.advanceTimersByTimeAsync(29_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.afterMs).toBe(30_000);
    expect(asked).toEqual([2, 1]);
  });

  it('rejects invalid options naming the field', () => {
    expect(() => createRateLimiter({ requestsPerMinute: 0 })).toThrow(/"requestsPerMinute".*received 0/);
    expect(() => createRateLimiter({ tokensPerMinute: -5 })).toThrow(/"tokensPerMinute".*received -5/);
  });
});
