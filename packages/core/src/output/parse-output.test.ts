import { describe, expect, it } from 'vitest';
import { parseOutput } from './parse-output.js';

describe('parseOutput', () => {
  it('returns the raw text untouched in text mode, even when it looks like JSON', () => {
    expect(parseOutput('  {"a": 1}\n', 'text')).toEqual({ ok: true, value: '  {"a": 1}\n', warnings: [] });
    expect(parseOutput('', 'text')).toEqual({ ok: true, value: '', warnings: [] });
    expect(parseOutput('<think>x</think>Hello', 'text')).toEqual({
      ok: true,
      value: '<think>x</think>Hello',
      warnings: [],
    });
  });

  it('extracts JSON in json mode, with repair on', () => {
    expect(parseOutput('```json\n[1, 2,]\n```', 'json')).toEqual({
      ok: true,
      value: [1, 2],
      warnings: ['extracted JSON from a fenced code block', 'repaired trailing comma'],
    });
  });

  it('reports why json mode failed', () => {
    expect(parseOutput('The answer is 42.', 'json')).toEqual({
      ok: false,
      warnings: [],
      error: 'no JSON found in model output',
    });
  });
});
