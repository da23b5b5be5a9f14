import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderCache } from './provider-cache.js';

/** A local OpenAI-compatible endpoint that counts the connections opened to it and the keys it saw. */
async function startCountingServer() {
  const seen = { connections: 0, keys: [] as string[] };
  const server: Server = createServer((request, response) => {
    seen.keys.push(request.headers.authorization ?? '');
    request.resume().on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        }),
      );
    });
  });
  server.on('connection', () => seen.connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { seen, url: `http://127.0.0.1:${port}/v1`, close: () => new Promise((done) => server.close(done)) };
}

const ask = (provider: { complete: (request: never) => Promise<{ text: string }> }) =>
  provider.complete({
    model: 'fake-model',
    messages: [{ role: 'user', content: 'hi' }],
    signal: new AbortController().signal,
  } as never);

describe('createProviderCache', () => {
  let server: Awaited<ReturnType<typeof startCountingServer>>;
  beforeAll(async () => {
    server = await startCountingServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("reuses a job's provider and its connections from shard to shard, and uses a new key at once", async () => {
    const cache = createProviderCache({ name: 'tenant', idleMs: 60_000 });
    const key = { provider: 'openai', baseUrl: server.url, apiKey: 'sk-first' };
    const before = server.seen.connections;
    for (let shard = 0; shard < 3; shard++) {
      const lent = cache.lend('job-1', key, { maxConnections: 1 });
      expect(lent.provider.name).toBe('tenant');
      expect((await ask(lent.provider)).text).toBe('ok');
      // What the engine does when a shard run ends: the connection stays open for the next shard.
      await lent.provider.close?.();
    }
    expect(server.seen.connections - before).toBe(1);

    const rotated = cache.lend('job-1', { ...key, apiKey: 'sk-second' }, { maxConnections: 1 });
    await ask(rotated.provider);
    expect(server.seen.keys.at(-1)).toBe('Bearer sk-second');
    expect(server.seen.connections - before).toBe(2);
    await rotated.provider.close?.();
    await cache.close();
  });

  it('closes a provider no shard uses once it has been idle, and the next shard gets a new one', async () => {
    const cache = createProviderCache({ name: 'tenant', idleMs: 20 });
    const key = { provider: 'openai', baseUrl: server.url, apiKey: 'sk-idle' };
    const first = cache.lend('job-2', key, { maxConnections: 1 });
    await ask(first.provider);
    await first.provider.close?.();
    await new Promise((resolve) => setTimeout(resolve, 60));
    const before = server.seen.connections;
    const second = cache.lend('job-2', key, { maxConnections: 1 });
    await ask(second.provider);
    expect(server.seen.connections - before).toBe(1);
    await second.provider.close?.();
    await cache.close();
  });
});
