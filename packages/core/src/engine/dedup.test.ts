import { describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import { createMockProvider } from '../providers/mock.js';
import type { ProviderRequest } from '../providers/provider.js';
import type { UnitResult } from '../types.js';
import { createEngine } from './create-engine.js';
import { createMemoryCache } from './result-cache.js';

const usage = { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 0, cacheWriteTokens: 0 };
const perCall = (1000 * 0.15 + 100 * 0.6) / 1_000_000;
const job = { model: 'openai:gpt-4o-mini', prompt: 'Label {{text}}', keyField: 'id' };

function counting(fail: (text: string, call: number) => boolean = () => false) {
  const sent: string[] = [];
  const provider = createMockProvider({
    name: 'openai',
    latencyMs: 5,
    respond: (request: ProviderRequest) => {
      const text = request.messages.at(-1)?.content ?? '';
      sent.push(text);
      if (fail(text, sent.length)) return 'no json here';
      return { text: JSON.stringify({ label: text.length }), usage };
    },
  });
  return { provider, sent };
}

async function collect(iterable: AsyncIterable<UnitResult>): Promise<UnitResult[]> {
  const out: UnitResult[] = [];
  for await (const result of iterable) out.push(result);
  return out;
}

const rows = [
  { id: 'a', text: 'same' },
  { id: 'b', text: 'same' },
  { id: 'c', text: 'other' },
  { id: 'd', text: 'same' },
];

describe('dedup within a run', () => {
  it('sends identical requests once and gives every unit the result, free, with the saving counted', async () => {
    const { provider, sent } = counting();
    const engine = createEngine({ providers: { openai: provider }, concurrency: 4 });
    const run = engine.run([...rows, { id: 'e', text: 'same' }], job, { dedup: true });
    const results: UnitResult[] = [];
    for await (const result of run) {
      results.push(result);
      // Slow consumer: 'e' is read after 'a' finished, so it is served from the finished results.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const summary = await run.summary;
    expect(sent.sort()).toEqual(['Label "other"', 'Label "same"']);
    expect(results.map((result) => [result.key, result.status, result.cached ?? false])).toEqual([
      ['a', 'ok', false],
      ['b', 'ok', true],
      ['c', 'ok', false],
      ['d', 'ok', true],
      ['e', 'ok', true],
    ]);
    const reused = results[1];
    expect(reused).toMatchObject({ value: results[0]?.value, raw: results[0]?.raw, cost: 0, attempts: [] });
    expect(reused?.usage).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(reused?.value).not.toBe(results[0]?.value);
    expect(summary).toMatchObject({ dedupHits: 3, cacheHits: 0, succeeded: 5 });
    expect(summary.cost).toBeCloseTo(2 * perCall, 15);
    expect(summary.savedCost).toBeCloseTo(3 * perCall, 15);
  });

  it('never shares an error: units waiting on a failed request make their own call', async () => {
    const { provider, sent } = counting((_text, call) => call === 1);
    const engine = createEngine({ providers: { openai: provider }, concurrency: 4 });
    const results = await collect(engine.run(rows, job, { dedup: true }));
    expect(results.map((result) => [result.key, result.status, result.cached ?? false])).toEqual([
      ['a', 'error', false],
      ['b', 'ok', false],
      ['c', 'ok', false],
      ['d', 'ok', true],
    ]);
    expect(sent.filter((text) => text === 'Label "same"')).toHaveLength(2);
  });

  it('sends every unit by default (dedup is opt-in)', async () => {
    const { provider, sent } = counting();
    const engine = createEngine({ providers: { openai: provider } });
    const summary = await engine.run(rows, job).drain();
    expect(sent).toHaveLength(4);
    expect(summary.dedupHits).toBe(0);
    await engine.run(rows, job, { dedup: { maxEntries: 1 } }).drain();
    expect(sent).toHaveLength(6);
  });
});

describe('result cache across runs', () => {
  it('answers a rerun from the cache, and never caches errors', async () => {
    const { provider, sent } = counting((text, call) => text === 'Label "other"' && call <= 2);
    const cache = createMemoryCache();
    const engine = createEngine({ providers: { openai: provider }, cache });
    const first = await engine.run(rows, job, { dedup: true }).drain();
    expect(first).toMatchObject({ succeeded: 3, failed: 1, cacheHits: 0, dedupHits: 2 });
    expect(cache.size).toBe(1);
    const second = await collect(engine.run(rows, job));
    expect(second.map((result) => [result.key, result.status, result.cached ?? false])).toEqual([
      ['a', 'ok', true],
      ['b', 'ok', true],
      ['c', 'ok', false],
      ['d', 'ok', true],
    ]);
    expect(sent.filter((text) => text === 'Label "same"')).toHaveLength(1);
    expect(sent.filter((text) => text === 'Label "other"')).toHaveLength(2);
    expect(cache.size).toBe(2);
  });

  it('carries on without the cache when the store fails, and says so in the log', async () => {
    const { provider, sent } = counting();
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, error() {}, warn: (_fields, message) => warnings.push(message) };
    const engine = createEngine({
      providers: { openai: provider },
      logger,
      cache: {
        get: () => Promise.reject(new Error('redis down')),
        set: () => {
          throw new Error('redis down');
        },
      },
    });
    const summary = await engine.run([{ id: 'x', text: 'hi' }], job).drain();
    expect(summary.succeeded).toBe(1);
    expect(sent).toHaveLength(1);
    expect(warnings).toEqual([
      'result cache lookup failed; calling the provider',
      'result cache store failed',
    ]);
  });

  it('keeps the most recently used entries up to maxEntries', () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    const entry = { value: 1, raw: '1', warnings: [], usage, cost: 0 };
    cache.set('a', entry);
    cache.set('b', entry);
    expect(cache.get('a')).toBe(entry);
    cache.set('c', entry);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(entry);
  });
});
