import { describe, expect, it } from 'vitest';
import { LLMBatchError } from '../errors.js';
import { createMockProvider } from '../providers/mock.js';
import type { ProviderRequest } from '../providers/provider.js';
import type { Unit, UnitResult } from '../types.js';
import { createMemoryCheckpoint } from './checkpoint.js';
import { createEngine } from './create-engine.js';

function units(count: number): Unit[] {
  return Array.from({ length: count }, (_, index) => ({ id: `u${index}`, text: `text ${index}` }));
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const userText = (request: ProviderRequest) =>
  request.messages.findLast((message) => message.role === 'user')?.content ?? '';

async function collect(iterable: AsyncIterable<UnitResult>): Promise<UnitResult[]> {
  const out: UnitResult[] = [];
  for await (const result of iterable) out.push(result);
  return out;
}

describe('engine.run ordering', () => {
  it('yields results in input order when units finish in random order', async () => {
    const random = seeded(7);
    const provider = createMockProvider({
      respond: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 20)));
        return JSON.stringify({ got: userText(request) });
      },
    });
    const engine = createEngine({ providers: { mock: provider }, concurrency: 16 });
    const results = await collect(
      engine.run(units(200), { model: 'mock:echo', prompt: '{{text}}', keyField: 'id' }),
    );
    expect(results.map((result) => result.index)).toEqual([...Array(200).keys()]);
    expect(results.map((result) => result.key)).toEqual(units(200).map((unit) => unit.id));
    expect(results[5]?.value).toEqual({ got: '"text 5"' });
    expect(results.every((result) => result.status === 'ok')).toBe(true);
  });

  it('yields in completion order with ordered: false', async () => {
    const provider = createMockProvider({
      respond: async (request) => {
        const text = userText(request);
        await new Promise((resolve) => setTimeout(resolve, text === '"slow"' ? 60 : 1));
        return '{}';
      },
    });
    const engine = createEngine({ providers: { mock: provider }, concurrency: 4 });
    const source = [{ text: 'slow' }, { text: 'a' }, { text: 'b' }, { text: 'c' }];
    const results = await collect(
      engine.run(source, { model: 'mock:x', prompt: '{{text}}' }, { ordered: false }),
    );
    expect(results.map((result) => result.index).at(-1)).toBe(0);
    expect(results.map((result) => result.index).sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('engine.run backpressure', () => {
  it('reads input lazily: a slow consumer holds back reading to the window, never the whole source', async () => {
    let read = 0;
    function* endless(): Generator<Unit> {
      while (true) {
        read++;
        yield { text: `n${read}` };
      }
    }
    const engine = createEngine({ concurrency: 8, reorderWindow: 32 });
    const run = engine.run(endless(), { model: 'mock:echo', prompt: '{{text}}' });
    let seen = 0;
    for await (const _ of run) {
      seen++;
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (seen === 50) break;
    }
    const summary = await run.summary;
    expect(read).toBeLessThanOrEqual(50 + 32 + 1);
    expect(summary.reason).toBe('aborted');
    expect(summary.read).toBe(read);
  });

  it('never has more calls in flight than the concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const provider = createMockProvider({
      respond: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 3));
        inFlight--;
        return '{}';
      },
    });
    const engine = createEngine({ providers: { mock: provider }, concurrency: 5 });
    const summary = await engine.run(units(60), { model: 'mock:m', prompt: '{{text}}' }).drain();
    expect(peak).toBe(5);
    expect(summary.succeeded).toBe(60);
  });
});

describe('engine.run unit errors', () => {
  it('turns a missing template field into a unit error naming the unit and field, without calling the provider', async () => {
    let calls = 0;
    const provider = createMockProvider({
      respond: () => {
        calls++;
        return '{}';
      },
    });
    const engine = createEngine({ providers: { mock: provider } });
    const results = await collect(
      engine.run([{ id: 'a', title: 't' }, { id: 'b' }], {
        model: 'mock:m',
        prompt: 'Title: {{title}}',
        keyField: 'id',
      }),
    );
    expect(results[0]?.status).toBe('ok');
    expect(results[1]?.status).toBe('error');
    expect(results[1]?.error?.code).toBe('template');
    expect(results[1]?.error?.message).toBe('unit b has no field "title" used by the prompt template');
    expect(calls).toBe(1);
  });

  it('keeps raw text and reports output-invalid when no JSON can be read, without opening the breaker', async () => {
    const provider = createMockProvider({ respond: () => 'I cannot help with that.' });
    const engine = createEngine({ providers: { mock: provider }, breaker: { failureThreshold: 2 } });
    const opened: unknown[] = [];
    engine.on('breaker-open', (transition) => opened.push(transition));
    const results = await collect(engine.run(units(10), { model: 'mock:m', prompt: '{{text}}' }));
    expect(results.map((result) => result.error?.code)).toEqual(Array(10).fill('output-invalid'));
    expect(results[0]?.raw).toBe('I cannot help with that.');
    expect(opened).toEqual([]);
    expect(engine.breakerState()).toBe('closed');
  });

  it('rejects a unit that is not an object or lacks its key field as a unit error', async () => {
    const engine = createEngine();
    const source = [{ id: 1, text: 'a' }, 'oops' as unknown as Unit, { text: 'no id' }];
    const results = await collect(
      engine.run(source, { model: 'mock:m', prompt: '{{text}}', keyField: 'id' }),
    );
    expect(results.map((result) => [result.key, result.status, result.error?.code])).toEqual([
      ['1', 'ok', undefined],
      ['1', 'error', 'invalid-unit'],
      ['2', 'error', 'invalid-unit'],
    ]);
    expect(results[2]?.error?.message).toBe(
      'unit at index 2 has no usable key field "id" (expected a non-empty string or a number)',
    );
  });

  it('puts text output as is with output: text', async () => {
    const provider = createMockProvider({ respond: () => '```json\n{"a":1}\n```' });
    const engine = createEngine({ providers: { mock: provider } });
    const [result] = await collect(
      engine.run([{ t: 'x' }], { model: 'mock:m', prompt: '{{t}}', output: 'text' }),
    );
    expect(result?.value).toBe('```json\n{"a":1}\n```');
    expect(result?.warnings).toEqual([]);
  });
});

describe('engine.run checkpoint', () => {
  it('skips units the checkpoint says are done, without calling or yielding them', async () => {
    const sent: string[] = [];
    const provider = createMockProvider({
      respond: (request) => {
        sent.push(userText(request));
        return '{"ok":true}';
      },
    });
    const engine = createEngine({ providers: { mock: provider } });
    const checkpoint = createMemoryCheckpoint(['u1', 'u3']);
    const results = await collect(
      engine.run(units(5), { model: 'mock:m', prompt: '{{text}}', keyField: 'id' }, { checkpoint }),
    );
    expect(results.map((result) => result.key)).toEqual(['u0', 'u2', 'u4']);
    expect(sent).toEqual(['"text 0"', '"text 2"', '"text 4"']);
    expect([...checkpoint.keys].sort()).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
    const summary = await engine
      .run(units(5), { model: 'mock:m', prompt: '{{text}}', keyField: 'id' }, { checkpoint })
      .drain();
    expect(summary.skipped).toBe(5);
    expect(summary.done).toBe(0);
  });

  it('stops the run with reason failed when the checkpoint store throws', async () => {
    const engine = createEngine();
    const run = engine.run(
      units(100),
      { model: 'mock:m', prompt: '{{text}}' },
      {
        checkpoint: {
          isDone: () => false,
          markDone: (result) => {
            if (result.index === 3) throw new Error('disk full');
          },
        },
      },
    );
    const summary = await run.drain();
    expect(summary.reason).toBe('failed');
    expect(summary.error?.code).toBe('checkpoint');
    expect(summary.error?.message).toBe('checkpoint store failed: Error: disk full');
  });
});

describe('engine.run cancellation', () => {
  it('aborting the signal stops dispatch and aborts in-flight calls; the summary counts what is left', async () => {
    const controller = new AbortController();
    let started = 0;
    let aborted = 0;
    const provider = createMockProvider({
      respond: (request) =>
        new Promise((resolve, reject) => {
          started++;
          const timer = setTimeout(() => resolve('{}'), 10_000);
          request.signal.addEventListener('abort', () => {
            aborted++;
            clearTimeout(timer);
            reject(request.signal.reason);
          });
        }),
    });
    const engine = createEngine({ providers: { mock: provider }, concurrency: 4 });
    const run = engine.run(
      units(100),
      { model: 'mock:m', prompt: '{{text}}' },
      { signal: controller.signal },
    );
    const results: UnitResult[] = [];
    const consuming = (async () => {
      for await (const result of run) results.push(result);
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await consuming;
    const summary = await run.summary;
    expect(started).toBe(4);
    expect(aborted).toBe(4);
    expect(results).toEqual([]);
    expect(summary).toMatchObject({ reason: 'aborted', done: 0, cancelled: 4, read: 4, notAttempted: 4 });
  });

  it('breaking out of the loop aborts in-flight calls', async () => {
    let started = 0;
    let aborted = 0;
    const provider = createMockProvider({
      respond: (request) =>
        new Promise((resolve, reject) => {
          started++;
          if (userText(request) === '"text 0"') {
            resolve('{}');
            return;
          }
          request.signal.addEventListener('abort', () => {
            aborted++;
            reject(request.signal.reason);
          });
        }),
    });
    const engine = createEngine({ providers: { mock: provider }, concurrency: 3 });
    const run = engine.run(units(10), { model: 'mock:m', prompt: '{{text}}' });
    for await (const result of run) {
      expect(result.index).toBe(0);
      break;
    }
    const summary = await run.summary;
    // Units 1 and 2 were in flight with unit 0; unit 3 may have taken unit 0's slot before the loop
    // broke. Every call still running is aborted and counted as cancelled, and nothing more is sent.
    expect(started).toBeGreaterThanOrEqual(3);
    expect(started).toBeLessThanOrEqual(4);
    expect(aborted).toBe(started - 1);
    expect(summary).toMatchObject({ reason: 'aborted', done: 1, cancelled: aborted });
  });
});

describe('engine.run usage and summary', () => {
  it('sums usage and cost per unit and per run, with events for each unit', async () => {
    const provider = createMockProvider({
      respond: () => ({
        text: '{"a":1}',
        usage: { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 200, cacheWriteTokens: 0 },
      }),
    });
    const engine = createEngine({ providers: { openai: provider } });
    const run = engine.run(units(3), { model: 'openai:gpt-4o-mini', prompt: '{{text}}' });
    const ends: number[] = [];
    run.on('unit-end', (result) => ends.push(result.index));
    const results = await collect(run);
    const summary = await run.summary;
    // 800 uncached × 0.15 + 200 cached × 0.075 + 100 output × 0.6, per million
    const perUnit = (800 * 0.15 + 200 * 0.075 + 100 * 0.6) / 1_000_000;
    expect(results[0]?.cost).toBeCloseTo(perUnit, 12);
    expect(summary.cost).toBeCloseTo(perUnit * 3, 12);
    expect(summary.usage).toEqual({
      inputTokens: 3000,
      outputTokens: 300,
      cachedInputTokens: 600,
      cacheWriteTokens: 0,
    });
    expect(summary).toMatchObject({
      reason: 'completed',
      read: 3,
      done: 3,
      succeeded: 3,
      failed: 0,
      notAttempted: 0,
    });
    expect(ends.sort()).toEqual([0, 1, 2]);
  });

  it('reports cost null (never a silent 0) for a model without a price', async () => {
    const engine = createEngine({ providers: { openai: createMockProvider() } });
    const summary = await engine.run(units(2), { model: 'openai:my-finetune', prompt: '{{text}}' }).drain();
    expect(summary.cost).toBeNull();
  });
});

describe('createEngine validation', () => {
  it('names the bad field and the value received', () => {
    expect(() => createEngine({ concurrency: 0 })).toThrow(
      'invalid engine options: concurrency: Too small: expected number to be >0 (received 0)',
    );
  });

  it('rejects a job whose model names no provider, listing the known ones', () => {
    const engine = createEngine();
    let caught: unknown;
    try {
      engine.run([], { model: 'nope:x', prompt: 'p' });
    } catch (error) {
      caught = error;
    }
    expect(LLMBatchError.isInstance(caught) && caught.code).toBe('invalid-options');
    expect((caught as Error).message).toBe(
      'job.model "nope:x" names no registered provider; use provider:model with one of: mock',
    );
  });
});
