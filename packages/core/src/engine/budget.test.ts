import { describe, expect, it } from 'vitest';
import { createPriceTable } from '../pricing/price-table.js';
import { createMockProvider } from '../providers/mock.js';
import type { UnitResult } from '../types.js';
import { createMemoryCheckpoint } from './checkpoint.js';
import { createEngine } from './create-engine.js';

// $1000 per million tokens: one token costs $0.001, so the arithmetic below stays readable.
const prices = createPriceTable({ overrides: { 'openai:test': { input: 1000, output: 1000 } } });
const rows = Array.from({ length: 20 }, (_, index) => ({
  id: `r${index}`,
  text: `a${String(index).padStart(3, '0')}`,
}));
// Each prompt is '"aNNN"' (6 characters): the mock reports ceil(6 / 4) = 2 input tokens and ceil(11 / 4) = 3
// output tokens for '{"ok":true}', so a unit costs $0.005. Its worst case reserves (6 bytes + 8 framing) input
// tokens plus maxTokens 10 output tokens: $0.024.
const job = { model: 'openai:test', prompt: '{{text}}', keyField: 'id', maxTokens: 10 };

function engineWith(concurrency: number, answer = '{"ok":true}') {
  let calls = 0;
  const provider = createMockProvider({
    name: 'openai',
    respond: async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 2));
      return answer;
    },
  });
  return {
    engine: createEngine({ providers: { openai: provider }, prices, concurrency }),
    calls: () => calls,
  };
}

describe('maxCost', () => {
  it('stops dispatch before the next unit could exceed the budget, and the summary says what was spent', async () => {
    const { engine, calls } = engineWith(4);
    const checkpoint = createMemoryCheckpoint();
    const run = engine.run(rows, job, { maxCost: 0.05, checkpoint });
    const spentAtEachEnd: number[] = [];
    run.on('unit-end', () => spentAtEachEnd.push(run.progress().cost ?? Number.NaN));
    const results: UnitResult[] = [];
    for await (const result of run) results.push(result);
    const summary = await run.summary;
    // After 6 units $0.030 is spent; a 7th could cost $0.024 more: $0.054 > $0.05.
    expect(results.map((result) => result.key)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(calls()).toBe(6);
    expect(summary).toMatchObject({ reason: 'budget-exceeded', done: 6, read: 7, notAttempted: 1 });
    expect(summary.cost).toBeCloseTo(0.03, 12);
    expect(summary.budget?.maxCost).toBe(0.05);
    expect(summary.budget?.spent).toBeCloseTo(0.03, 12);
    expect(summary.budget?.remaining).toBeCloseTo(0.02, 12);
    expect(Math.max(...spentAtEachEnd)).toBeLessThanOrEqual(0.05);
    expect([...checkpoint.keys]).toHaveLength(6);
  });

  it('leaves the units it held back to a rerun with the same checkpoint', async () => {
    const { engine, calls } = engineWith(1);
    const checkpoint = createMemoryCheckpoint();
    await engine.run(rows, job, { maxCost: 0.05, checkpoint }).drain();
    const rerun = await engine.run(rows, job, { maxCost: 1, checkpoint }).drain();
    expect(rerun).toMatchObject({ reason: 'completed', skipped: 6, done: 14, notAttempted: 0 });
    expect(calls()).toBe(20);
  });

  it('does not re-ask for invalid output when the re-ask could exceed the budget', async () => {
    const { engine, calls } = engineWith(1, '{"ok": "no"}');
    const schema = {
      type: 'object',
      properties: { ok: { type: 'boolean' } },
      required: ['ok'],
      additionalProperties: false,
    };
    const [first] = rows;
    // The first call reserves $0.122 (its prompt, the ~98-byte schema, maxTokens); the re-ask would carry the
    // answer and the repair prompt too, about $0.3, more than the $0.195 left.
    const run = engine.run([first ?? {}], { ...job, schema }, { maxCost: 0.2 });
    const results: UnitResult[] = [];
    for await (const result of run) results.push(result);
    expect(calls()).toBe(1);
    expect(results[0]?.error).toMatchObject({ code: 'output-invalid', details: { repairAttempts: 0 } });
  });

  it('needs a known price', () => {
    const engine = createEngine({ providers: { openai: createMockProvider({ name: 'openai' }) } });
    expect(() => engine.run(rows, { ...job, model: 'openai:unpriced' }, { maxCost: 1 })).toThrow(
      'maxCost needs a known price for openai:unpriced: add a price override',
    );
    expect(() => engine.run(rows, job, { maxCost: -1 })).toThrow(/^invalid run options: maxCost: /);
  });
});
