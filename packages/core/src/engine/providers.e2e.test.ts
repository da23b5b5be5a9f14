import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import { type FakeProvider, startFakeProvider } from '../testing/index.js';
import { createEngine, type Engine } from './create-engine.js';

const openaiKey = 'sk-proj-SECRETOPENAI-0123456789abcdef';
const anthropicKey = 'sk-ant-api03-SECRETANTHROPIC-0123456789';

let server: FakeProvider | undefined;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  await server?.close();
  engine = undefined;
  server = undefined;
});

describe('providers built from config by model string', () => {
  it('runs openai: and anthropic: models against their APIs, with usage from each', async () => {
    server = await startFakeProvider();
    engine = createEngine({
      providerConfig: {
        openai: { apiKey: openaiKey, baseURL: `${server.url}/v1` },
        anthropic: { apiKey: anthropicKey, baseURL: server.url },
      },
    });
    const rows = [{ text: 'a' }, { text: 'b' }];
    const openai = await engine.run(rows, { model: 'openai:gpt-4o-mini', prompt: '{{text}}' }).drain();
    const anthropic = await engine
      .run(rows, { model: 'anthropic:claude-haiku-4-5', prompt: '{{text}}', system: 'Be brief.' })
      .drain();
    expect(openai).toMatchObject({ succeeded: 2, failed: 0 });
    expect(anthropic).toMatchObject({ succeeded: 2, failed: 0 });
    expect(anthropic.cost).toBeGreaterThan(0);
    const [first, second] = [server.log[0], server.log[2]];
    expect(first).toMatchObject({ api: 'openai', path: '/v1/chat/completions', model: 'gpt-4o-mini' });
    expect(second).toMatchObject({ api: 'anthropic', path: '/v1/messages', model: 'claude-haiku-4-5' });
    expect(second?.body).toMatchObject({ system: 'Be brief.', max_tokens: 4096 });
    expect(second?.headers['x-api-key']).toBe('***');
    expect(second?.headers['anthropic-version']).toBe('2023-06-01');
  });

  it('never lets an API key reach an error, an event, a log line, a result or the summary', async () => {
    server = await startFakeProvider({
      respond: (request) => {
        const key = request.api === 'openai' ? openaiKey : anthropicKey;
        if (request.userText.includes('401'))
          return { status: 401, content: `Incorrect API key provided: ${key}` };
        if (request.userText.includes('500')) return { status: 500, content: `upstream saw key ${key}` };
        return undefined;
      },
    });
    const emitted: unknown[] = [];
    const logger: Logger = {
      debug: (fields, message) => emitted.push(fields, message),
      warn: (fields, message) => emitted.push(fields, message),
      error: (fields, message) => emitted.push(fields, message),
    };
    engine = createEngine({
      logger,
      retry: { maxRetries: 1, baseDelayMs: 1 },
      breaker: { failureThreshold: 2, resetTimeoutMs: 50 },
      providerConfig: {
        openai: { apiKey: openaiKey, baseURL: `${server.url}/v1` },
        anthropic: { apiKey: anthropicKey, baseURL: server.url },
      },
    });
    for (const name of [
      'breaker-open',
      'breaker-half-open',
      'breaker-close',
      'concurrency-change',
    ] as const) {
      engine.on(name, (event) => emitted.push(name, event));
    }
    const rows = [{ text: 'ok' }, { text: '401' }, { text: '500' }, { text: '500' }, { text: 'ok' }];
    for (const model of ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5']) {
      const run = engine.run(rows, { model, prompt: '{{text}}' });
      for (const name of ['unit-start', 'unit-end', 'unit-retry', 'progress', 'run-end'] as const) {
        run.on(name, (event: unknown) => emitted.push(name, event));
      }
      for await (const result of run) emitted.push(result);
      emitted.push(await run.summary);
    }
    const text = JSON.stringify(emitted);
    expect(text).toContain('Incorrect API key provided: [redacted]');
    expect(text).toContain('upstream saw key [redacted]');
    expect(text).not.toContain(openaiKey);
    expect(text).not.toContain(anthropicKey);
    expect(text).not.toContain('SECRET');
  });
});
