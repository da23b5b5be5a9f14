import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAICompatibleProvider } from '../providers/openai-compatible.js';
import { type FakeProvider, startFakeProvider } from '../testing/index.js';
import type { UnitResult } from '../types.js';
import { createEngine, type Engine } from './create-engine.js';
import type { EngineOptions } from './options.js';

let server: FakeProvider | undefined;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  await server?.close();
  engine = undefined;
  server = undefined;
});

async function setUp(options: Parameters<typeof startFakeProvider>[0], engineOptions: EngineOptions = {}) {
  server = await startFakeProvider(options);
  engine = createEngine({
    ...engineOptions,
    providers: {
      openai: createOpenAICompatibleProvider({ apiKey: 'sk-e2e-key-123456', baseURL: `${server.url}/v1` }),
    },
  });
  return { server, engine };
}

async function collect(iterable: AsyncIterable<UnitResult>): Promise<UnitResult[]> {
  const out: UnitResult[] = [];
  for await (const result of iterable) out.push(result);
  return out;
}

const rows = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ id: `r${index}`, text: `row ${index}` }));

describe('engine against a real HTTP provider', () => {
  it('runs a batch end to end: every unit sent once, results in order with usage and cost', async () => {
    const { server, engine } = await setUp(
      { latencyMs: (request) => (request.n % 7) * 3 },
      { concurrency: 8 },
    );
    const results = await collect(
      engine.run(rows(100), {
        model: 'openai:gpt-4o-mini',
        prompt: 'Echo {{text}}',
        keyField: 'id',
        system: 'Be terse.',
      }),
    );
    expect(results.map((result) => result.key)).toEqual(rows(100).map((row) => row.id));
    expect(results[42]?.value).toEqual({ echo: 'Echo "row 42"', length: 'Echo "row 42"'.length });
    expect(results.every((result) => result.usage.inputTokens > 0 && (result.cost ?? 0) > 0)).toBe(true);
    expect(server.stats.received).toBe(100);
    expect(server.log.at(-1)?.headers.authorization).toBe('Bearer ***');
    expect(server.log[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Echo "row 0"' },
      ],
    });
  });

  it('honours Retry-After on 429 before trying again', async () => {
    const { server, engine } = await setUp({
      respond: (request) =>
        request.n === 1 ? { status: 429, headers: { 'retry-after-ms': '400' } } : undefined,
    });
    const [result] = await collect(
      engine.run([{ text: 'a' }], { model: 'openai:gpt-4o-mini', prompt: '{{text}}' }),
    );
    const [first, second] = server.log;
    expect(result?.status).toBe('ok');
    expect(result?.attempts.map((attempt) => attempt.error?.code ?? 'ok')).toEqual(['rate-limited', 'ok']);
    const gap = (second?.receivedAt ?? 0) - (first?.receivedAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(395);
    expect(gap).toBeLessThan(2000);
  });

  it('times out a hung request, aborts its connection, and retries it', async () => {
    const { server, engine } = await setUp(
      { respond: (request) => (request.n === 1 ? { hang: true } : undefined) },
      { timeoutMs: 300, retry: { baseDelayMs: 1 } },
    );
    const [result] = await collect(
      engine.run([{ text: 'a' }], { model: 'openai:gpt-4o-mini', prompt: '{{text}}' }),
    );
    expect(result?.status).toBe('ok');
    expect(result?.attempts.map((attempt) => attempt.error?.code ?? 'ok')).toEqual(['timeout', 'ok']);
    await expect.poll(() => server.stats.aborted).toBe(1);
  });

  it('opens the breaker after consecutive 5xx failures, and units wait for the probe instead of failing', async () => {
    let healthy = false;
    const { server, engine } = await setUp(
      { respond: () => (healthy ? undefined : { status: 503 }) },
      { concurrency: 1, retry: { maxRetries: 0 }, breaker: { failureThreshold: 3, resetTimeoutMs: 300 } },
    );
    const transitions: string[] = [];
    engine.on('breaker-open', () => {
      transitions.push('open');
      healthy = true;
    });
    engine.on('breaker-half-open', () => transitions.push('half-open'));
    engine.on('breaker-close', () => transitions.push('close'));
    const results = await collect(engine.run(rows(6), { model: 'openai:gpt-4o-mini', prompt: '{{text}}' }));
    expect(results.map((result) => result.status)).toEqual(['error', 'error', 'error', 'ok', 'ok', 'ok']);
    expect(results[0]?.error?.code).toBe('retries-exhausted');
    expect(transitions).toEqual(['open', 'half-open', 'close']);
    expect(server.stats.received).toBe(6);
  });

  it('does not open the breaker when units fail with 400 (their own fault)', async () => {
    const { engine } = await setUp(
      { respond: () => ({ status: 400, content: 'bad request' }) },
      { breaker: { failureThreshold: 2 } },
    );
    const results = await collect(engine.run(rows(10), { model: 'openai:gpt-4o-mini', prompt: '{{text}}' }));
    expect(results.map((result) => result.error?.code)).toEqual(Array(10).fill('provider-rejected'));
    expect(results[0]?.attempts).toHaveLength(1);
    expect(engine.breakerState()).toBe('closed');
  });

  it('aborting mid-run closes the in-flight HTTP connections (the server sees them go)', async () => {
    const { server, engine } = await setUp({ latencyMs: 10_000 }, { concurrency: 5 });
    const controller = new AbortController();
    const run = engine.run(
      rows(50),
      { model: 'openai:gpt-4o-mini', prompt: '{{text}}' },
      { signal: controller.signal },
    );
    const consuming = collect(run);
    await expect.poll(() => server.stats.inFlight).toBe(5);
    controller.abort();
    expect(await consuming).toEqual([]);
    await expect.poll(() => server.stats.aborted).toBe(5);
    expect(await run.summary).toMatchObject({ reason: 'aborted', cancelled: 5, done: 0 });
    expect(server.stats.received).toBe(5);
  });
});
