import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { AdaptiveConcurrency, type AttemptTicket, type ConcurrencyChange } from './adaptive-concurrency.js';

function manualClock() {
  const sleeps: number[] = [];
  const clock: Clock & { time: number } = {
    time: 0,
    now: () => clock.time,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
  return { clock, sleeps };
}

function controller(options: ConstructorParameters<typeof AdaptiveConcurrency>[0] = {}, maxConcurrency = 16) {
  const { clock, sleeps } = manualClock();
  const changes: ConcurrencyChange[] = [];
  const pacing: unknown[] = [];
  const adaptive = new AdaptiveConcurrency(options, {
    maxConcurrency,
    clock,
    onChange: (change) => changes.push(change),
    onPacing: (state) => pacing.push(state),
  });
  return { adaptive, clock, sleeps, changes, pacing };
}

const signal = new AbortController().signal;
const ok = { rateLimited: false, rateLimit: undefined, latencyMs: 100 };
const limited = { rateLimited: true, rateLimit: undefined, latencyMs: undefined };

async function take(adaptive: AdaptiveConcurrency, tokens = 0): Promise<AttemptTicket> {
  return adaptive.acquire(tokens, signal);
}

describe('adaptive concurrency (AIMD)', () => {
  it('halves on a 429 once per round trip: attempts started before the cut cannot cut again', async () => {
    const { adaptive, changes } = controller();
    const before = await Promise.all(Array.from({ length: 4 }, () => take(adaptive)));
    for (const ticket of before) adaptive.end(ticket, limited);
    expect(changes).toEqual([{ from: 16, to: 8, reason: 'rate-limited' }]);
    const after = await take(adaptive);
    adaptive.end(after, limited);
    expect(adaptive.limit).toBe(4);
    expect(changes.at(-1)).toEqual({ from: 8, to: 4, reason: 'rate-limited' });
  });

  it('grows by one per `increaseEvery` successes, up to the maximum, and never below minConcurrency', async () => {
    const { adaptive, changes } = controller({ minConcurrency: 3, increaseEvery: 2 }, 4);
    let ticket = await take(adaptive);
    adaptive.end(ticket, limited);
    ticket = await take(adaptive);
    adaptive.end(ticket, limited);
    expect(adaptive.limit).toBe(3);
    for (let index = 0; index < 6; index++) adaptive.end(await take(adaptive), ok);
    expect(adaptive.limit).toBe(4);
    expect(changes.map((change) => `${change.from}->${change.to} ${change.reason}`)).toEqual([
      '4->3 rate-limited',
      '3->4 recovered',
    ]);
  });

  it('holds attempts beyond the limit until a slot is given back, in arrival order', async () => {
    const { adaptive } = controller({}, 2);
    const first = await take(adaptive);
    await take(adaptive);
    const order: string[] = [];
    const third = Promise.resolve(adaptive.acquire(0, signal)).then(() => order.push('third'));
    const fourth = Promise.resolve(adaptive.acquire(0, signal)).then(() => order.push('fourth'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual([]);
    adaptive.end(first, ok);
    await third;
    expect(order).toEqual(['third']);
    const aborted = new AbortController();
    const waiting = Promise.resolve(adaptive.acquire(0, aborted.signal));
    aborted.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' });
    expect(order).toEqual(['third']);
    void fourth;
  });

  it('paces attempts at 95% of the refill rate the headers reveal once the allowance runs low', async () => {
    const { adaptive, sleeps, changes, pacing } = controller();
    // 1200 requests per minute; 100 left; full again in 55 s: the provider refills 1100 / 55000 = 0.02 per ms.
    const rateLimit = { limitRequests: 1200, remainingRequests: 100, resetRequestsMs: 55_000 };
    adaptive.end(await take(adaptive), { rateLimited: false, rateLimit, latencyMs: 20 });
    expect(pacing).toEqual([{ requestsPerMinute: 0.02 * 0.95 * 60_000 }]);
    expect(changes).toEqual([{ from: 16, to: 8, reason: 'low-remaining' }]);
    for (let index = 0; index < 4; index++) await take(adaptive);
    const interval = 1 / (0.02 * 0.95);
    expect(sleeps.map((ms) => Math.round(ms * 100) / 100)).toEqual(
      [1, 2, 3].map((step) => Math.round(step * interval * 100) / 100),
    );
    // Plenty of headroom again (over half the limit) turns pacing off.
    adaptive.end(await take(adaptive), {
      rateLimited: false,
      rateLimit: { limitRequests: 1200, remainingRequests: 1000, resetRequestsMs: 10_000 },
      latencyMs: 20,
    });
    expect(pacing.at(-1)).toBeUndefined();
  });
});
