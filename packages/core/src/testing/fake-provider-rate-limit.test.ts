import { Pool, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from './start-fake-provider.js';

let server: FakeProvider | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const openAIBody = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

async function post(url: string, body = openAIBody) {
  const response = await request(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.statusCode, headers: response.headers, body: await response.body.json() };
}

describe('rate limit', () => {
  it('answers exactly requestsPerMinute requests of a burst, then 429s saying when to retry', async () => {
    let now = 0;
    server = await startFakeProvider({ rateLimit: { requestsPerMinute: 60 }, clock: { now: () => now } });
    const url = `${server.url}/v1/chat/completions`;
    const replies = [];
    for (let index = 0; index < 70; index += 1) replies.push(await post(url));

    expect(replies.map((reply) => reply.status)).toEqual([...Array(60).fill(200), ...Array(10).fill(429)]);
    expect(replies[0]?.headers).toMatchObject({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
    });
    const refused = replies[60];
    expect(refused?.headers).toMatchObject({
      'retry-after-ms': '1000',
      'retry-after': '1',
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
    });
    expect(refused?.body).toEqual({
      error: {
        message: expect.stringContaining('requests per min (RPM): Limit 60'),
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(server.stats).toMatchObject({ received: 70, answered: 70, rateLimited: 10 });

    now += 500;
    expect((await post(url)).headers['retry-after-ms']).toBe('500');
    now += 500;
    expect((await post(url)).status).toBe(200);
    expect((await post(url)).status).toBe(429);
  });

  it('holds a concurrent burst to the limit on the real clock', async () => {
    server = await startFakeProvider({ rateLimit: { requestsPerMinute: 60 } });
    const pool = new Pool(server.url, { connections: 16 });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 70 }, async () => {
          const response = await pool.request({
            path: '/v1/chat/completions',
            method: 'POST',
            body: openAIBody,
          });
          await response.body.dump();
          return response.statusCode;
        }),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(60);
      expect(statuses.filter((status) => status === 429)).toHaveLength(10);
    } finally {
      await pool.close();
    }
  });

  it('charges prompt tokens plus max_tokens against tokensPerMinute', async () => {
    const now = 0;
    server = await startFakeProvider({ rateLimit: { tokensPerMinute: 100 }, clock: { now: () => now } });
    const url = `${server.url}/v1/chat/completions`;
    // 'x' * 40 is 10 tokens, plus max_tokens 30: 40 tokens a request.
    const body = JSON.stringify({
      model: 'm',
      max_tokens: 30,
      messages: [{ role: 'user', content: 'x'.repeat(40) }],
    });
    expect((await post(url, body)).headers['x-ratelimit-remaining-tokens']).toBe('60');
    expect((await post(url, body)).status).toBe(200);
    const refused = await post(url, body);
    expect(refused.status).toBe(429);
    expect(refused.headers).toMatchObject({ 'retry-after-ms': '12000', 'retry-after': '12' });
    expect(refused.body).toMatchObject({ error: { type: 'tokens', code: 'rate_limit_exceeded' } });
    // Without max_tokens a request is charged 16 output tokens: 1 + 16 fits in the 20 left.
    const small = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect((await post(url, small)).headers['x-ratelimit-remaining-tokens']).toBe('3');
  });

  it('speaks Anthropic rate-limit headers and error shape on /v1/messages', async () => {
    const now = 1_000;
    server = await startFakeProvider({ rateLimit: { requestsPerMinute: 1 }, clock: { now: () => now } });
    const url = `${server.url}/v1/messages`;
    const body = JSON.stringify({ model: 'c', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    const first = await post(url, body);
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({
      'anthropic-ratelimit-requests-limit': '1',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const refused = await post(url, body);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.headers['retry-after-ms']).toBeUndefined();
    expect(refused.body).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.stringContaining('Limit 1') },
    });
  });
});
