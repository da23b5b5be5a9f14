import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../engine/create-engine.js';
import { LLMBatchError } from '../errors.js';
import type { UnitResult } from '../types.js';
import { createOpenAICompatibleProvider } from './openai-compatible.js';

const completion = JSON.stringify({
  choices: [{ message: { role: 'assistant', content: '{"ok":true}' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2 },
});

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A local server that answers every request after `latencyMs` (or never), counting connections. */
async function listen(latencyMs: number | 'hang') {
  const seen = { connections: 0 };
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (latencyMs === 'hang') return;
      setTimeout(
        () => response.writeHead(200, { 'content-type': 'application/json' }).end(completion),
        latencyMs,
      );
    });
  });
  server.on('connection', () => {
    seen.connections++;
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseURL: `http://127.0.0.1:${port}/v1`, seen };
}

const request = () => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'hi' }],
  signal: new AbortController().signal,
});

describe('HTTP providers', () => {
  it('open at most maxConnections connections to their host; more requests wait for a free one', async () => {
    const { baseURL, seen } = await listen(50);
    const provider = createOpenAICompatibleProvider({ baseURL, maxConnections: 2 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => provider.complete(request())));
    await provider.close?.();
    expect(answers.map((answer) => answer.text)).toEqual(Array(6).fill('{"ok":true}'));
    expect(seen.connections).toBe(2);
  });

  it('apply headersTimeoutMs to a call without a deadline of its own', async () => {
    const { baseURL } = await listen('hang');
    const provider = createOpenAICompatibleProvider({ baseURL, headersTimeoutMs: 100 });
    const startedAt = Date.now();
    const error = await provider.complete(request()).catch((caught: unknown) => caught);
    await provider.close?.();
    expect(LLMBatchError.isInstance(error) && error.code).toBe('timeout');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('keep a headersTimeoutMs set explicitly under the engine, whose own deadline is longer', async () => {
    const { baseURL } = await listen('hang');
    const engine = createEngine({
      providers: { openai: createOpenAICompatibleProvider({ baseURL, headersTimeoutMs: 150 }) },
      timeoutMs: 30_000,
      retry: { maxRetries: 0 },
    });
    const startedAt = Date.now();
    const results: UnitResult[] = [];
    for await (const result of engine.run([{ text: 'a' }], {
      model: 'openai:gpt-4o-mini',
      prompt: '{{text}}',
    })) {
      results.push(result);
    }
    const [result] = results;
    await engine.close();
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(result?.attempts.map((attempt) => attempt.error?.code)).toEqual(['timeout']);
    expect(result?.attempts[0]?.error?.message).toContain('Headers Timeout');
  });
});
