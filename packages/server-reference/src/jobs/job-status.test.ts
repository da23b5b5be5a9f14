import { describe, expect, it } from 'vitest';
import { canTransition, finalStatuses, jobStatuses } from './job-status.js';

describe('job status transitions', () => {
  it('follow queued → running → completed | failed | cancelling → cancelled and nothing else', () => {
    const allowed = jobStatuses.flatMap((from) =>
      jobStatuses.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed).toEqual([
      'queued→running',
      'queued→failed',
      'queued→cancelled',
      'running→completed',
      'running→failed',
      'running→cancelling',
      'cancelling→cancelled',
    ]);
  });

  it('never leave a final status', () => {
    for (const from of finalStatuses) {
      expect(jobStatuses.filter((to) => canTransition(from, to))).toEqual([]);
    }
  });
});
