import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createMemoryCheckpoint } from '../engine/checkpoint.js';
import { createEngine } from '../engine/create-engine.js';
import { createMockProvider } from '../providers/mock.js';
import type { Unit } from '../types.js';
import { createPriceTable } from './price-table.js';

// Estimates never call a provider; these are registered only so model strings resolve.
const engine = createEngine({
  providers: {
    openai: createMockProvider({ name: 'openai' }),
    anthropic: createMockProvider({ name: 'anthropic' }),
  },
});

describe('engine.estimate', () => {
  it('counts OpenAI prompt tokens with the real o200k_base tokenizer, plus the chat framing', async () => {
    const estimate = await engine.estimate([{ text: 'hello world' }], {
      model: 'openai:gpt-4o-mini',
      prompt: '{{text}}',
      interpolation: 'raw',
      maxTokens: 50,
    });
    // "hello world" is 2 tokens in o200k_base; one message costs 4 more, the reply priming 3.
    expect(estimate).toMatchObject({ tokenizer: 'o200k_base', inputTokens: 2 + 4 + 3, units: 1 });
  });

  it('prices low / expected / high from the input tokens and the output bounds', async () => {
    const rows = [{ text: 'hello world' }, { text: 'hello world' }, { text: 'hello world' }];
    const estimate = await engine.estimate(rows, {
      model: 'openai:gpt-4o-mini',
      prompt: '{{text}}',
      interpolation: 'raw',
      maxTokens: 1000,
    });
    const input = (27 * 0.15) / 1_000_000;
    expect(estimate.inputTokens).toBe(27);
    expect(estimate.outputTokens).toEqual({ low: 0, expected: 3 * 256, high: 3 * 1000 });
    expect(estimate.cost?.low).toBeCloseTo(input, 15);
    expect(estimate.cost?.expected).toBeCloseTo(input + (768 * 0.6) / 1_000_000, 15);
    expect(estimate.cost?.high).toBeCloseTo(input + (3000 * 0.6) / 1_000_000, 15);
    expect(estimate).toMatchObject({
      model: 'openai:gpt-4o-mini',
      pricingVersion: createPriceTable().pricingVersion,
      contextWindow: 128_000,
      overContextWindow: 0,
      warnings: [],
    });
  });

  it('takes the expected output per unit from the caller, bounded by maxTokens', async () => {
    const job = { model: 'openai:gpt-4o-mini', prompt: '{{text}}', maxTokens: 40 };
    const estimate = await engine.estimate([{ text: 'x' }], job, { expectedOutputTokens: 100 });
    expect(estimate.outputTokens).toEqual({ low: 0, expected: 40, high: 40 });
  });

  it('approximates Claude tokens, counts units over the context window and names their keys', async () => {
    const long = 'a'.repeat(700_000);
    const rows = [
      { id: 'short', text: 'hi' },
      { id: 'long-1', text: long },
      { id: 'long-2', text: long },
    ];
    const estimate = await engine.estimate(rows, {
      model: 'anthropic:claude-haiku-4-5',
      prompt: '{{text}}',
      keyField: 'id',
    });
    expect(estimate.tokenizer).toBe('approximate (3.5 chars/token)');
    expect(estimate.overContextWindow).toBe(2);
    expect(estimate.overContextKeys).toEqual(['long-1', 'long-2']);
    expect(estimate.contextWindow).toBe(200_000);
    expect(estimate.outputTokens.high).toBe(3 * 4096);
    expect(estimate.warnings).toEqual([
      'input tokens of claude-haiku-4-5 are approximated (approximate (3.5 chars/token)); no public tokenizer',
      'maxTokens is not set: the high bound assumes 4096 output tokens per unit',
      '2 units do not fit the context window of 200000 tokens',
    ]);
  });

  it('gives cost null and says so for a model without a price', async () => {
    const estimate = await engine.estimate([{ t: 'x' }], {
      model: 'openai:my-finetune',
      prompt: '{{t}}',
      maxTokens: 5,
    });
    expect(estimate.cost).toBeNull();
    expect(estimate.warnings).toContain(
      'no price known for openai:my-finetune: cost is null (add a price override)',
    );
    expect(estimate.tokenizer).toBe('approximate (4 chars/token)');
  });

  it('leaves out units a checkpoint has done and counts units that cannot be sent', async () => {
    const rows = [{ id: 'a', t: 'x' }, { id: 'b', t: 'y' }, { id: 'c' }, 'oops' as unknown as Unit];
    const estimate = await engine.estimate(
      rows,
      { model: 'openai:gpt-4o-mini', prompt: '{{t}}', keyField: 'id', maxTokens: 5 },
      { checkpoint: createMemoryCheckpoint(['a']) },
    );
    expect(estimate).toMatchObject({ units: 1, skipped: 1, invalidUnits: 2 });
    expect(estimate.warnings).toContain(
      '2 units cannot be sent (first: unit c has no field "t" used by the prompt template)',
    );
  });

  it('needs no API key: a provider config without one is enough', async () => {
    const keyless = createEngine({ providerConfig: { anthropic: {} } });
    const estimate = await keyless.estimate([{ t: 'x' }], {
      model: 'anthropic:claude-sonnet-4-5',
      prompt: '{{t}}',
    });
    expect(estimate.units).toBe(1);
  });

  it('streams a million units once, in memory that does not grow with the count', async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const liveHeap = () => {
      collectGarbage();
      return process.memoryUsage().heapUsed;
    };
    let read = 0;
    const heapAt = new Map<number, number>();
    function* rows(): Generator<Unit> {
      for (let index = 0; index < 1_000_000; index++) {
        read++;
        if (index === 100_000 || index === 999_999) heapAt.set(index, liveHeap());
        yield { id: index, text: `Review ${index}: arrived late, works fine.` };
      }
    }
    const job = {
      model: 'openai:gpt-4o-mini',
      prompt: 'Classify the sentiment of this review as positive, negative or neutral: {{text}}',
      system: 'You label product reviews.',
      maxTokens: 20,
    };
    const progress: number[] = [];
    const startedAt = performance.now();
    const estimate = await engine.estimate(rows(), job, { onProgress: ({ read }) => progress.push(read) });
    const seconds = (performance.now() - startedAt) / 1000;
    expect(read).toBe(1_000_000);
    expect(estimate.units).toBe(1_000_000);
    expect(progress.length).toBe(Math.floor(1_000_000 / 4096));
    expect(estimate.inputTokens).toBeGreaterThan(1_000_000 * 30);
    // Live heap after 1e6 units is within 8 MiB of the live heap after 1e5: nothing is kept per unit.
    expect((heapAt.get(999_999) ?? Number.POSITIVE_INFINITY) - (heapAt.get(100_000) ?? 0)).toBeLessThan(
      8 * 1024 * 1024,
    );
    // Measured at about 4 s here (2 cores, shared); the bound only catches a pathological slowdown.
    expect(seconds).toBeLessThan(60);
  }, 90_000);
});
