import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../clock.js';
import { createDeadlines, type DeadlineEntry } from './deadline-queue.js';

function entry(name: string, expired: string[]): DeadlineEntry {
  return {
    expire: () => expired.push(name),
    deadlineAt: 0,
    earlierEntry: undefined,
    laterEntry: undefined,
    cancelDeadline: undefined,
  };
}

describe('createDeadlines on the real clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves every call with one timer, expires each at its own deadline, and keeps no timer when idle', async () => {
    const deadlines = createDeadlines(1_000, systemClock);
    const expired: string[] = [];
    const [a, b, c] = [entry('a', expired), entry('b', expired), entry('c', expired)];
    deadlines.start(a);
    await vi.advanceTimersByTimeAsync(300);
    deadlines.start(b);
    await vi.advanceTimersByTimeAsync(300);
    deadlines.start(c);
    expect(vi.getTimerCount()).toBe(1);

    await vi.advanceTimersByTimeAsync(399);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(['a']);
    // b stops before its deadline (t = 1,300); c still expires at t = 1,600.
    deadlines.stop(b);
    await vi.advanceTimersByTimeAsync(599);
    expect(expired).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(['a', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer as soon as the last call stops', () => {
    const deadlines = createDeadlines(60_000, systemClock);
    const first = entry('first', []);
    const second = entry('second', []);
    deadlines.start(first);
    deadlines.start(second);
    deadlines.stop(first);
    expect(vi.getTimerCount()).toBe(1);
    deadlines.stop(second);
    expect(vi.getTimerCount()).toBe(0);
  });
});
