import { describe, expect, it } from 'vitest';
import { canTransition, finalStatuses, jobStatuses } from './job-status.js';

describe('job status transitions', () => {
  it('follow queued → running → completed | failed | cancelling → cancelled, and back to queued only from a final status (retry-failed)', () => {
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
      'completed→queued',
      'failed→queued',
      'cancelling→cancelled',
      'cancelled→queued',
    ]);
  });

  it('leave a final status only to be queued again', () => {
    for (const from of finalStatuses) {
      expect(jobStatuses.filter((to) => canTransition(from, to))).toEqual(['queued']);
    }
  });
});
