import type { RunProgress } from '@llmbatch/core';
import { expect, describe as group, it } from 'vitest';
import { createProgressReporter, describe } from './progress.js';

function progress(overrides: Partial<RunProgress> = {}): RunProgress {
  return {
    read: 450,
    skipped: 0,
    inFlight: 8,
    done: 412,
    succeeded: 410,
    failed: 2,
    retries: 3,
    usage: { inputTokens: 40_000, outputTokens: 11_000, cachedInputTokens: 0, cacheWriteTokens: 0 },
    cost: 0.0123,
    breaker: 'closed',
    elapsedMs: 10_000,
    ...overrides,
  } as RunProgress;
}

group('progress line', () => {
  it('shows a bar with done/total, percent, rate, ETA, tokens, cost and errors', () => {
    expect(describe(progress(), 1000, 0, 10)).toBe(
      '[####......] 412/1000 41% 41.2/s ETA 15s tokens 51.0k cost $0.0123 errors 2',
    );
  });

  it('shows the breaker when it is not closed, unknown cost, and resumed units', () => {
    expect(describe(progress({ breaker: 'open', cost: null }), undefined, 120, 0)).toBe(
      '412 done 41.2/s tokens 51.0k cost unknown errors 2 breaker open (resumed after 120)',
    );
  });
});

group('reporter', () => {
  it('redraws one line on a terminal and ends it on stop', () => {
    const writes: string[] = [];
    const reporter = createProgressReporter({
      stream: { isTTY: true, columns: 100, write: (text: string) => writes.push(text) },
      total: 1000,
      previouslyDone: 0,
      ttyIntervalMs: 0,
    });
    reporter.update(progress({ done: 10, succeeded: 10, failed: 0 }));
    reporter.update(progress());
    reporter.stop();
    expect(writes.every((text) => text.startsWith('\r'))).toBe(true);
    expect(writes.at(-1)?.endsWith('\n')).toBe(true);
    expect(writes.slice(0, -1).some((text) => text.includes('\n'))).toBe(false);
  });

  it('writes plain lines at most every interval when not on a terminal', () => {
    const writes: string[] = [];
    const reporter = createProgressReporter({
      stream: { write: (text: string) => writes.push(text) },
      total: undefined,
      previouslyDone: 0,
      plainIntervalMs: 60_000,
    });
    reporter.update(progress());
    reporter.update(progress());
    reporter.stop();
    expect(writes).toEqual(['412 done 41.2/s tokens 51.0k cost $0.0123 errors 2\n']);
  });
});
