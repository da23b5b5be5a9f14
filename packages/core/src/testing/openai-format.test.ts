import { describe, expect, it } from 'vitest';
import { formatResetDuration } from './openai-format.js';

describe('formatResetDuration', () => {
  it('writes durations the way OpenAI rate-limit headers do', () => {
    expect(formatResetDuration(0)).toBe('0s');
    expect(formatResetDuration(17)).toBe('17ms');
    expect(formatResetDuration(16.2)).toBe('17ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(1500)).toBe('1.5s');
    expect(formatResetDuration(59_999)).toBe('59.999s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
    expect(formatResetDuration(3_723_400)).toBe('1h2m3.4s');
  });
});
