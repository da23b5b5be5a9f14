import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractJson } from './extract-json.js';

// A quadratic scan of 1 MB takes minutes; linear code takes well under a second even on a loaded machine.
const largeInputBoundMs = 5_000;
const largeInputTimeoutMs = 30_000;

function timed<T>(run: () => T): { result: T; elapsedMs: number } {
  const started = performance.now();
  const result = run();
  return { result, elapsedMs: performance.now() - started };
}

const oneMegabyteArray = Array.from({ length: 12_000 }, (_, id) => ({
  id,
  label: `item ${id} has {braces}, [brackets] and "quotes"`,
  score: id / 8,
}));
const oneMegabyteJson = JSON.stringify(oneMegabyteArray);

describe('extractJson with repair turned off', () => {
  it('still finds valid JSON in fences and prose', () => {
    expect(extractJson('```json\n[1, 2]\n```', { repair: false })).toEqual({
      ok: true,
      value: [1, 2],
      warnings: ['extracted JSON from a fenced code block'],
    });
    expect(extractJson('Result: {"a": 1}.', { repair: false })).toEqual({
      ok: true,
      value: { a: 1 },
      warnings: ['extracted JSON from surrounding text'],
    });
  });

  it('fails on malformed JSON instead of repairing it, giving the parser message', () => {
    const result = extractJson('{"a": 1,}', { repair: false });
    expect(result).toEqual({
      ok: false,
      warnings: [],
      error: expect.stringMatching(/^model output contains malformed JSON and repair is disabled: .+/),
    });
  });

  it('does not return a fragment of a truncated object', () => {
    expect(extractJson('Here: {"a": {"b": 1}, "c": [2', { repair: false })).toEqual({
      ok: false,
      warnings: [],
      error:
        'model output contains malformed JSON and repair is disabled: unexpected end of JSON (the output looks truncated)',
    });
  });
});

describe('extractJson on 1 MB outputs', () => {
  it.each([
    { name: 'bare array', input: oneMegabyteJson, warnings: [] },
    {
      name: 'fenced array',
      input: `\`\`\`json\n${oneMegabyteJson}\n\`\`\``,
      warnings: ['extracted JSON from a fenced code block'],
    },
    {
      name: 'array in prose',
      input: `Here are all the items: ${oneMegabyteJson} Hope this helps!`,
      warnings: ['extracted JSON from surrounding text'],
    },
    {
      name: 'array with a trailing comma in prose',
      input: `Here: ${oneMegabyteJson.slice(0, -1)},]`,
      warnings: ['extracted JSON from surrounding text', 'repaired trailing comma'],
    },
  ])(
    'reads a $name',
    ({ input, warnings }) => {
      expect(input.length).toBeGreaterThan(1_000_000);
      const { result, elapsedMs } = timed(() => extractJson(input));
      expect(result).toEqual({ ok: true, value: oneMegabyteArray, warnings });
      expect(elapsedMs).toBeLessThan(largeInputBoundMs);
    },
    largeInputTimeoutMs,
  );

  it.each([
    {
      name: 'a million opening braces',
      input: '{'.repeat(1_000_000),
      error: 'no JSON found in model output',
    },
    {
      name: 'brackets hidden in quotes',
      input: 'x [a "['.repeat(150_000),
      error: 'no JSON found in model output',
    },
    {
      name: 'prose full of brackets',
      input: 'see [note] and {name}. '.repeat(45_000),
      error: 'no JSON found in model output',
    },
    {
      name: 'unclosed comments after brackets',
      input: '[/*'.repeat(330_000),
      error: 'no JSON found in model output',
    },
    {
      name: 'sixty thousand unrepairable objects',
      input: '{"a": 1,, "b": 2} '.repeat(60_000),
      error:
        'model output contains malformed JSON that could not be repaired: Object key expected at position 8',
    },
  ])(
    'gives up on $name in linear time',
    ({ input, error }) => {
      expect(input.length).toBeGreaterThan(900_000);
      const { result, elapsedMs } = timed(() => extractJson(input));
      expect(result).toEqual({ ok: false, warnings: [], error });
      expect(elapsedMs).toBeLessThan(largeInputBoundMs);
    },
    largeInputTimeoutMs,
  );
});

/** Pieces that make the scanner and the repair step work hard when shuffled together. */
const jsonishPieces = [
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '\\',
  ',',
  ':',
  ' ',
  '\n',
  '\r\n',
  '```',
  '```json\n',
  '~~~',
  '<think>',
  '</think>',
  '//',
  '/*',
  '*/',
  'true',
  'True',
  'None',
  'null',
  'NaN',
  '1',
  '-2.5e3',
  '1e400',
  'a',
  'key',
  '“',
  '”',
  '\uFEFF',
];

function assertReadable(text: string): void {
  const result = extractJson(text);
  if (!result.ok) {
    // That prefix comes from the last-resort catch: reaching it means some step threw.
    expect(result.error).not.toMatch(/^could not read model output/);
    return;
  }
  const serialized = JSON.stringify(result.value);
  expect(typeof serialized).toBe('string');
  // Round-trips exactly: no `undefined`, functions, `Infinity` or `NaN` hiding in the value.
  expect(JSON.stringify(JSON.parse(serialized))).toBe(serialized);
}

describe('extractJson on arbitrary input', () => {
  it('never throws and returns only JSON-serialisable values for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        assertReadable(text);
      }),
      { numRuns: 1_000 },
    );
  });

  it('never throws on JSON-like noise', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...jsonishPieces), maxLength: 60 }), (text) => {
        assertReadable(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it('returns any valid JSON text as exactly its value, with no warnings', () => {
    fc.assert(
      fc.property(fc.json(), (json) => {
        expect(extractJson(json)).toEqual({ ok: true, value: JSON.parse(json), warnings: [] });
      }),
      { numRuns: 500 },
    );
  });

  it('finds any JSON object or array wrapped in prose', () => {
    const structure = fc.json().filter((json) => json.startsWith('{') || json.startsWith('['));
    fc.assert(
      fc.property(structure, (json) => {
        expect(extractJson(`Sure! Here it is: ${json}\nAnything else?`)).toEqual({
          ok: true,
          value: JSON.parse(json),
          warnings: ['extracted JSON from surrounding text'],
        });
      }),
      { numRuns: 500 },
    );
  });
});
