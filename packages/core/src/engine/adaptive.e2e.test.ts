import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAICompatibleProvider } from '../providers/openai-compatible.js';
import { type FakeProvider, type FakeProviderOptions, startFakeProvider } from '../testing/index.js';
import type { Unit } from '../types.js';
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

async function setUp(fake: FakeProviderOptions, options: EngineOptions) {
  server = await startFakeProvider({ logSize: 0, ...fake });
  engine = createEngine({
    ...options,
    retry: { maxRetries: 20, baseDelayMs: 10 },
    providers: {
      openai: createOpenAICompatibleProvider({ apiKey: 'sk-adaptive-test', baseURL: `${server.url}/v1` }),
    },
  });
  return { server, engine };
}

function* endless(): Generator<Unit> {
  for (let index = 0; ; index++) yield { text: `row ${index}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const job = { model: 'openai:gpt-4o-mini', prompt: '{{text}}', maxTokens: 5 };

/** Requests the server let through per second, and the share it refused with 429, over `ms`. */
async function measure(fake: FakeProvider, ms: number) {
  const before = fake.stats;
  const startedAt = performance.now();
  await sleep(ms);
  const after = fake.stats;
  const seconds = (performance.now() - startedAt) / 1000;
  const received = after.received - before.received;
  const refused = after.rateLimited - before.rateLimited;
  return { allowedPerSecond: (received - refused) / seconds, refusedShare: refused / received, received };
}

describe('adaptive rate control against a real token-bucket limit', () => {
  it('converges to near the allowed rate with few 429s (1200 requests/minute, concurrency up to 32)', async () => {
    const { server, engine } = await setUp(
      { latencyMs: 20, rateLimit: { requestsPerMinute: 1200 } },
      { concurrency: 32, adaptive: true },
    );
    const run = engine.run(endless(), job);
    const changes: string[] = [];
    run.on('concurrency-change', ({ from, to, reason }) => changes.push(`${from}->${to} ${reason}`));
    const draining = run.drain();
    // Warm-up: the bucket starts full (a minute's allowance); wait until that burst is spent.
    await expect.poll(() => server.stats.received, { timeout: 10_000, interval: 50 }).toBeGreaterThan(1150);
    await sleep(1000);
    const steady = await measure(server, 4000);
    const concurrency = run.progress().concurrency;
    run.abort();
    await draining;
    // The server allows 20 requests per second.
    expect(steady.allowedPerSecond).toBeGreaterThanOrEqual(0.8 * 20);
    expect(steady.refusedShare).toBeLessThanOrEqual(0.05);
    expect(changes[0]).toMatch(/^32->16 (low-remaining|rate-limited)$/);
    expect(concurrency).toBeLessThan(32);
  }, 30_000);

  it('without adaptive control the same setup is refused far more often (the test above can fail)', async () => {
    const { server, engine } = await setUp(
      { latencyMs: 20, rateLimit: { requestsPerMinute: 1200 } },
      { concurrency: 32 },
    );
    const run = engine.run(endless(), job);
    const draining = run.drain();
    await expect.poll(() => server.stats.received, { timeout: 10_000, interval: 50 }).toBeGreaterThan(1200);
    const steady = await measure(server, 2000);
    run.abort();
    await draining;
    expect(steady.refusedShare).toBeGreaterThan(0.3);
  }, 30_000);

  it('finds the concurrency a server without rate-limit headers can take, from its 429s alone', async () => {
    const statuses: number[] = [];
    let fake: FakeProvider | undefined;
    const { engine } = await setUp(
      {
        latencyMs: 20,
        respond: () => {
          const refuse = (fake?.stats.inFlight ?? 0) > 8;
          statuses.push(refuse ? 429 : 200);
          return refuse ? { status: 429, headers: { 'retry-after-ms': '20' } } : undefined;
        },
      },
      { concurrency: 32, adaptive: true },
    );
    fake = server;
    const changes: string[] = [];
    engine.on('concurrency-change', ({ to, reason }) => changes.push(`${to} ${reason}`));
    const rows = Array.from({ length: 600 }, (_, index) => ({ text: `row ${index}` }));
    const summary = await engine.run(rows, job).drain();
    expect(summary.succeeded).toBe(600);
    const late = statuses.slice(-300);
    expect(late.filter((status) => status === 429).length / late.length).toBeLessThanOrEqual(0.15);
    expect(changes[0]).toBe('16 rate-limited');
    expect(engine.concurrency()).toBeGreaterThanOrEqual(2);
    expect(engine.concurrency()).toBeLessThanOrEqual(12);
  }, 30_000);
});
