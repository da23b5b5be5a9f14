import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Clock, systemClock } from '../clock.js';
import { LLMBatchError } from '../errors.js';
import { rejection } from '../internal/policies-test-support.js';
import type { PolicyContext } from './policy.js';
import { createTimeoutPolicy } from './timeout.js';

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('createTimeoutPolicy', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the value of fn and keeps no timer or listener afterwards', async () => {
    const outer = new AbortController();
    const timeout = createTimeoutPolicy({ timeoutMs: 1_000 });
    let seen: PolicyContext | undefined;
    const value = await timeout.execute(
      async (context) => {
        seen = context;
        return 'ok';
      },
      { signal: outer.signal, attempt: 3 },
    );
    expect(value).toBe('ok');
    expect(seen?.attempt).toBe(3);
    expect(seen?.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(abortListeners(outer.signal)).toBe(0);
  });

  it('rejects with a retryable `timeout` exactly at the deadline, even when fn ignores the abort', async () => {
    const timeout = createTimeoutPolicy({ timeoutMs: 250 });
    let inner: AbortSignal | undefined;
    const settled = vi.fn();
    const call = timeout.execute(
      ({ signal }) => {
        inner = signal;
        return new Promise<string>(() => {});
      },
      { signal: new AbortController().signal, attempt: 1 },
    );
    call.then(settled, settled);

    await vi.advanceTimersByTimeAsync(249);
    expect(settled).not.toHaveBeenCalled();
    expect(inner?.aborted).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    const error = await rejection(call);
    expect(error.code).toBe('timeout');
    expect(error.isRetryable).toBe(true);
    expect(error.isAvailabilityFailure).toBe(true);
    expect(error.message).toBe('The call timed out after 250 ms');
    expect(inner?.aborted).toBe(true);
    expect(inner?.reason).toBe(error);
  });

  it('rejects with `aborted` at once when the caller aborts, and aborts the signal fn holds', async () => {
    const outer = new AbortController();
    const timeout = createTimeoutPolicy({ timeoutMs: 10_000 });
    let inner: AbortSignal | undefined;
    const call = timeout.execute(
      ({ signal }) => {
        inner = signal;
        return new Promise<string>(() => {});
      },
      { signal: outer.signal, attempt: 1 },
    );
    outer.abort(new Error('user pressed Ctrl-C'));
    const error = await rejection(call);
    expect(error.code).toBe('aborted');
    expect(error.isRetryable).toBe(false);
    expect(error.isAvailabilityFailure).toBe(false);
    expect((error.cause as Error).message).toBe('user pressed Ctrl-C');
    expect(inner?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not call fn when the caller has already aborted', async () => {
    const outer = new AbortController();
    outer.abort();
    const fn = vi.fn(async () => 'never');
    const error = await rejection(
      createTimeoutPolicy({ timeoutMs: 100 }).execute(fn, { signal: outer.signal, attempt: 1 }),
    );
    expect(error.code).toBe('aborted');
    expect(fn).not.toHaveBeenCalled();
  });

  it('passes fn errors through unchanged, including ones thrown synchronously', async () => {
    const outer = new AbortController();
    const timeout = createTimeoutPolicy({ timeoutMs: 100 });
    const rejected = new LLMBatchError({ code: 'provider-rejected', message: 'bad request', status: 400 });
    await expect(
      timeout.execute(() => Promise.reject(rejected), { signal: outer.signal, attempt: 1 }),
    ).rejects.toBe(rejected);
    const thrown = new TypeError('bug');
    await expect(
      timeout.execute(
        () => {
          throw thrown;
        },
        { signal: outer.signal, attempt: 1 },
      ),
    ).rejects.toBe(thrown);
    expect(vi.getTimerCount()).toBe(0);
    expect(abortListeners(outer.signal)).toBe(0);
  });

  it('leaves no timer or listener behind after 100,000 calls on one signal', async () => {
    const outer = new AbortController();
    const timeout = createTimeoutPolicy({ timeoutMs: 5_000 });
    const context = { signal: outer.signal, attempt: 1 };
    const work = async (): Promise<number> => 1;
    let total = 0;
    for (let batch = 0; batch < 100; batch++) {
      const calls: Promise<number>[] = [];
      for (let index = 0; index < 1_000; index++) calls.push(timeout.execute(work, context));
      // 1,000 calls in flight share one native listener on the run-wide signal.
      expect(abortListeners(outer.signal)).toBe(1);
      for (const value of await Promise.all(calls)) total += value;
    }
    expect(total).toBe(100_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(abortListeners(outer.signal)).toBe(0);
  });

  it('measures the deadline with an injected clock', async () => {
    const sleep = vi.fn((ms: number, signal?: AbortSignal) => systemClock.sleep(ms, signal));
    const clock: Clock = { now: () => Date.now(), sleep };
    const timeout = createTimeoutPolicy({ timeoutMs: 70, clock });
    const call = timeout.execute(() => new Promise<never>(() => {}), {
      signal: new AbortController().signal,
      attempt: 1,
    });
    expect(sleep).toHaveBeenCalledWith(70, expect.any(AbortSignal));
    const error = rejection(call);
    await vi.advanceTimersByTimeAsync(70);
    expect((await error).code).toBe('timeout');

    // A call that finishes first cancels the clock's sleep.
    await timeout.execute(async () => 'fast', { signal: new AbortController().signal, attempt: 1 });
    expect(sleep.mock.calls[1]?.[1]?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects invalid options with an `invalid-options` error naming the field and value', () => {
    expect(() => createTimeoutPolicy({ timeoutMs: 0 })).toThrow(
      expect.objectContaining({
        code: 'invalid-options',
        message: expect.stringMatching(/"timeoutMs".*received 0$/),
      }),
    );
    expect(() => createTimeoutPolicy({ timeoutMs: Number.NaN })).toThrow(/timeoutMs/);
  });
});
