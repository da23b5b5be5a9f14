import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LLMBatchError } from '../errors.js';
import { deferred, rejection } from '../internal/policies-test-support.js';
import { type BreakerStateChange, type CircuitBreaker, createCircuitBreaker } from './circuit-breaker.js';

const unavailable = () => new LLMBatchError({ code: 'provider-unavailable', message: '503', status: 503 });
const context = () => ({ signal: new AbortController().signal, attempt: 1 });

/** Runs one call through the breaker that fails with `error`, and returns what the breaker rethrew. */
async function failWith(breaker: CircuitBreaker, error: unknown): Promise<void> {
  await expect(breaker.execute(() => Promise.reject(error), context())).rejects.toBe(error);
}

async function openBreaker(breaker: CircuitBreaker, failures: number): Promise<void> {
  for (let index = 0; index < failures; index++) await failWith(breaker, unavailable());
  expect(breaker.state).toBe('open');
}

describe('createCircuitBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens after failureThreshold consecutive availability failures, retries-exhausted included', async () => {
    const changes: BreakerStateChange[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 3,
      onStateChange: (change) => changes.push(change),
    });
    await failWith(breaker, unavailable());
    await failWith(breaker, new LLMBatchError({ code: 'timeout', message: 'slow' }));
    expect(breaker.state).toBe('closed');
    await failWith(
      breaker,
      new LLMBatchError({ code: 'retries-exhausted', message: 'gave up', isAvailabilityFailure: true }),
    );
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ from: 'closed', to: 'open', consecutiveFailures: 3 }]);
    expect(JSON.parse(JSON.stringify(breaker))).toEqual({
      state: 'open',
      consecutiveFailures: 3,
      openedAt: Date.now(),
    });
  });

  it('never opens on failures caused by the request or the output, and they clear the count', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 3 });
    for (let index = 0; index < 10; index++) {
      await failWith(breaker, new LLMBatchError({ code: 'output-invalid', message: 'not JSON' }));
      await failWith(breaker, new LLMBatchError({ code: 'provider-rejected', message: 'bad', status: 400 }));
    }
    expect(breaker.toJSON()).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null });

    await failWith(breaker, unavailable());
    await failWith(breaker, unavailable());
    await failWith(breaker, new LLMBatchError({ code: 'output-invalid', message: 'not JSON' }));
    await failWith(breaker, unavailable());
    await expect(breaker.execute(async () => 'ok', context())).resolves.toBe('ok');
    await failWith(breaker, unavailable());
    expect(breaker.toJSON()).toEqual({ state: 'closed', consecutiveFailures: 1, openedAt: null });
  });

  it('counts aborted calls as neither failure nor success', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 3 });
    const aborted = new LLMBatchError({ code: 'aborted', message: 'cancelled' });
    await failWith(breaker, unavailable());
    await failWith(breaker, unavailable());
    for (let index = 0; index < 5; index++) await failWith(breaker, aborted);
    // A connection error seen by a caller who had aborted is the caller's doing, not the provider's.
    const controller = new AbortController();
    controller.abort();
    const reset = new LLMBatchError({ code: 'connection', message: 'socket closed' });
    await expect(
      breaker.execute(() => Promise.reject(reset), { signal: controller.signal, attempt: 1 }),
    ).rejects.toBe(reset);
    expect(breaker.toJSON().consecutiveFailures).toBe(2);
    await failWith(breaker, unavailable());
    expect(breaker.state).toBe('open');
  });

  it('ignores failures of calls that were in flight when it opened: the open period is not extended', async () => {
    const changes: BreakerStateChange[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 2,
      onStateChange: (change) => changes.push(change),
    });
    const calls = Array.from({ length: 5 }, () => deferred<string>());
    const results = calls.map(({ promise }) =>
      breaker.execute(() => promise, context()).catch(() => 'failed'),
    );
    calls[0]?.reject(unavailable());
    calls[1]?.reject(unavailable());
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.state).toBe('open');
    const openedAt = breaker.toJSON().openedAt;

    await vi.advanceTimersByTimeAsync(10_000);
    calls[2]?.reject(unavailable());
    calls[3]?.reject(unavailable());
    calls[4]?.resolve('late success');
    await Promise.all(results);
    expect(breaker.toJSON()).toEqual({ state: 'open', consecutiveFailures: 2, openedAt });

    await vi.advanceTimersByTimeAsync(19_999);
    expect(breaker.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(breaker.state).toBe('half-open');
    expect(changes.map(({ to }) => to)).toEqual(['open', 'half-open']);
  });

  it('ignores failures of calls from before it opened even after it closed again', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2, resetTimeoutMs: 30_000 });
    const slow = [deferred<string>(), deferred<string>()];
    const stale = slow.map(({ promise }) => breaker.execute(() => promise, context()).catch(() => 'failed'));
    await openBreaker(breaker, 2);
    await vi.advanceTimersByTimeAsync(30_000);
    await expect(breaker.execute(async () => 'probe ok', context())).resolves.toBe('probe ok');
    expect(breaker.state).toBe('closed');

    for (const call of slow) call.reject(unavailable());
    await Promise.all(stale);
    expect(breaker.toJSON()).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null });
  });

  it('admits exactly one probe among 100 waiting callers, then lets all of them through on success', async () => {
    const changes: string[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 30_000,
      onStateChange: ({ from, to }) => changes.push(`${from}->${to}`),
    });
    await openBreaker(breaker, 1);
    const probe = deferred<string>();
    const runSignal = new AbortController().signal;
    let runsWhileHalfOpen = 0;
    let runs = 0;
    const calls = Array.from({ length: 100 }, (_, index) =>
      breaker.execute(
        () => {
          runs++;
          if (breaker.state === 'half-open') runsWhileHalfOpen++;
          return runs === 1 ? probe.promise : Promise.resolve(`call ${index}`);
        },
        { signal: runSignal, attempt: 1 },
      ),
    );
    expect(getEventListeners(runSignal, 'abort')).toHaveLength(100);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(breaker.state).toBe('half-open');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runsWhileHalfOpen).toBe(1);
    expect(runs).toBe(1);

    probe.resolve('probe answered');
    const values = await Promise.all(calls);
    expect(runs).toBe(100);
    expect(runsWhileHalfOpen).toBe(1);
    expect(values[0]).toBe('probe answered');
    expect(values[99]).toBe('call 99');
    expect(breaker.toJSON()).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null });
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(runSignal, 'abort')).toHaveLength(0);
  });

  it('moves to half-open lazily when calls arrive after the reset timeout, still with one probe', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openBreaker(breaker, 1);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    const probe = deferred<void>();
    const fn = vi.fn(() => probe.promise);
    const calls = Array.from({ length: 100 }, () => breaker.execute(fn, context()));
    await vi.advanceTimersByTimeAsync(0);
    expect(fn).toHaveBeenCalledTimes(1);
    probe.resolve();
    await Promise.all(calls);
    expect(fn).toHaveBeenCalledTimes(100);
  });

  it('re-opens with a fresh reset timeout when the probe fails, then probes again', async () => {
    const changes: BreakerStateChange[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 2,
      resetTimeoutMs: 30_000,
      onStateChange: (change) => changes.push(change),
    });
    await openBreaker(breaker, 2);
    const fn = vi.fn(({ attempt }: { attempt: number }) =>
      attempt === 1 ? Promise.reject(unavailable()) : Promise.resolve('recovered'),
    );
    const probe = rejection(breaker.execute(fn, context()));
    const waiting = breaker.execute(fn, { signal: new AbortController().signal, attempt: 2 });
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await probe).code).toBe('provider-unavailable');
    expect(breaker.toJSON()).toEqual({ state: 'open', consecutiveFailures: 3, openedAt: Date.now() });
    expect(fn).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(29_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(waiting).resolves.toBe('recovered');
    expect(breaker.state).toBe('closed');
    expect(
      changes.map(({ from, to, consecutiveFailures }) => `${from}->${to}@${consecutiveFailures}`),
    ).toEqual([
      'closed->open@2',
      'open->half-open@2',
      'half-open->open@3',
      'open->half-open@3',
      'half-open->closed@0',
    ]);
  });

  it('fails fast with `circuit-open` when asked to, while open and while the probe runs', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 500, whenOpen: 'fail-fast' });
    await openBreaker(breaker, 1);
    const fn = vi.fn(async () => 'ok');
    const open = await rejection(breaker.execute(fn, context()));
    expect(fn).not.toHaveBeenCalled();
    expect(open).toMatchObject({ code: 'circuit-open', isRetryable: false, isAvailabilityFailure: false });
    expect(open.message).toBe(
      'Circuit breaker is open after 1 consecutive availability failures; next probe in 500 ms',
    );

    await vi.advanceTimersByTimeAsync(500);
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise, context());
    const halfOpen = await rejection(breaker.execute(fn, context()));
    expect(halfOpen.code).toBe('circuit-open');
    expect(halfOpen.details?.state).toBe('half-open');
    probe.resolve('probe ok');
    await expect(probing).resolves.toBe('probe ok');
    await expect(breaker.execute(fn, context())).resolves.toBe('ok');
  });

  it('lets a waiting caller abort: it rejects with `aborted` and leaves no listener or timer', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1 });
    await openBreaker(breaker, 1);
    const controller = new AbortController();
    const fn = vi.fn(async () => 'ok');
    const call = breaker.execute(fn, { signal: controller.signal, attempt: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'aborted', isAvailabilityFailure: false });
    expect(fn).not.toHaveBeenCalled();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(breaker.state).toBe('open');
  });

  it('hands the probe slot to the next caller when the probe is aborted', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100 });
    await openBreaker(breaker, 1);
    const first = new AbortController();
    const fn = vi.fn(
      ({ signal }: { signal: AbortSignal }) =>
        new Promise<string>((resolve, reject) => {
          if (signal === first.signal)
            signal.addEventListener('abort', () => reject(new Error('request aborted')));
          else resolve('second probe ok');
        }),
    );
    const aborted = breaker
      .execute(fn, { signal: first.signal, attempt: 1 })
      .catch((error: Error) => error.message);
    const second = breaker.execute(fn, context());
    await vi.advanceTimersByTimeAsync(100);
    expect(fn).toHaveBeenCalledTimes(1);
    first.abort();
    expect(await aborted).toBe('request aborted');
    await expect(second).resolves.toBe('second probe ok');
    expect(breaker.state).toBe('closed');
  });

  it('reset() closes the breaker and releases waiting callers', async () => {
    const changes: string[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      onStateChange: ({ to }) => changes.push(to),
    });
    await openBreaker(breaker, 1);
    const waiting = breaker.execute(async () => 'through', context());
    breaker.reset();
    await expect(waiting).resolves.toBe('through');
    expect(breaker.toJSON()).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null });
    expect(changes).toEqual(['open', 'closed']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects invalid options naming the field', () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(/"failureThreshold".*received 0/);
    expect(() => createCircuitBreaker({ whenOpen: 'explode' as 'wait' })).toThrow(
      /"whenOpen".*received "explode"/,
    );
  });
});
