import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { LLMBatchError } from '../errors.js';
import { echoContent, fakeTokenCount } from './fake-reply.js';
import { type FakeProvider, startFakeProvider } from './start-fake-provider.js';

let server: FakeProvider | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof startFakeProvider>[0] = {}): Promise<FakeProvider> {
  server = await startFakeProvider(options);
  return server;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text };
}

const chat = (userText: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Answer in JSON.' },
    { role: 'user', content: userText },
  ],
  ...extra,
});

describe('startFakeProvider default replies', () => {
  it('answers OpenAI chat completions with the echo of the last user message and char/4 usage', async () => {
    const fake = await start();
    const reply = await post(`${fake.url}/v1/chat/completions`, chat('héllo wörld'));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.text)).toEqual({
      id: 'chatcmpl-fake-1',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: '{"echo":"héllo wörld","length":11}' },
          finish_reason: 'stop',
        },
      ],
      usage: {
        // 'Answer in JSON.' (15) + 'héllo wörld' (11) = 26 characters -> 7 tokens; the echo is 34 -> 9.
        prompt_tokens: 7,
        completion_tokens: 9,
        total_tokens: 16,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
    expect(fake.requests).toBe(1);
    expect(fake.stats).toEqual({
      received: 1,
      answered: 1,
      rateLimited: 0,
      aborted: 0,
      dropped: 0,
      inFlight: 0,
      maxInFlight: 1,
    });
  });

  it('echoes the text parts of array content and keeps json_schema requests on the echo', async () => {
    const fake = await start();
    const body = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
    };
    const reply = await post(`${fake.url}/v1/chat/completions`, body);
    expect(JSON.parse(reply.text).choices[0].message.content).toBe(echoContent('a\nb'));
  });

  it('answers Anthropic messages in the Messages shape, counting the system prompt', async () => {
    const fake = await start();
    const reply = await post(`${fake.url}/v1/messages`, {
      model: 'claude-sonnet-4',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }],
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({
      id: 'msg_fake_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4',
      content: [{ type: 'text', text: '{"echo":"ping","length":4}' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: fakeTokenCount('Be brief.ping'.length),
        output_tokens: fakeTokenCount('{"echo":"ping","length":4}'.length),
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    });
  });

  it('rejects malformed bodies with a 400 in each API error shape', async () => {
    const fake = await start();
    const openAI = await post(`${fake.url}/v1/chat/completions`, '{not json');
    expect(openAI.status).toBe(400);
    expect(JSON.parse(openAI.text).error).toMatchObject({ type: 'invalid_request_error' });
    const anthropic = await post(`${fake.url}/v1/messages`, { model: 'c', messages: [] });
    expect(anthropic.status).toBe(400);
    expect(JSON.parse(anthropic.text)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
  });

  it('answers unknown routes with a 404 JSON error and does not count them', async () => {
    const fake = await start();
    const response = await request(`${fake.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    expect(response.statusCode).toBe(404);
    expect(await response.body.json()).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/embeddings)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    expect(fake.requests).toBe(0);
  });
});

describe('startFakeProvider scripted replies', () => {
  it('sends the status, headers and message that respond returns, in the OpenAI error shape', async () => {
    const fake = await start({
      respond: (incoming) =>
        incoming.n === 1
          ? { status: 503, headers: { 'retry-after-ms': '25' }, content: 'try later' }
          : { content: 'fine', usage: { inputTokens: 100, cachedInputTokens: 40 }, finishReason: 'length' },
    });
    const failed = await post(`${fake.url}/v1/chat/completions`, chat('x'));
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after-ms']).toBe('25');
    expect(JSON.parse(failed.text)).toEqual({
      error: { message: 'try later', type: 'server_error', param: null, code: null },
    });
    const ok = JSON.parse((await post(`${fake.url}/v1/chat/completions`, chat('x'))).text);
    expect(ok.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: 'fine' },
      finish_reason: 'length',
    });
    expect(ok.usage).toEqual({
      prompt_tokens: 100,
      completion_tokens: 1,
      total_tokens: 101,
      prompt_tokens_details: { cached_tokens: 40 },
    });
    expect(fake.requests).toBe(2);
  });

  it('answers 529 on the Anthropic route with an overloaded_error body', async () => {
    const fake = await start({ respond: async () => ({ status: 529 }) });
    const reply = await post(`${fake.url}/v1/messages`, {
      model: 'c',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(reply.status).toBe(529);
    expect(JSON.parse(reply.text)).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
  });

  it('sends a raw body verbatim, and setRespond(undefined) restores the echo', async () => {
    const fake = await start({ respond: () => ({ body: '{"choices": [' }) });
    expect((await post(`${fake.url}/v1/chat/completions`, chat('x'))).text).toBe('{"choices": [');
    fake.setRespond(() => ({ body: { anything: true } }));
    expect((await post(`${fake.url}/v1/chat/completions`, chat('x'))).text).toBe('{"anything":true}');
    fake.setRespond(undefined);
    const echoed = JSON.parse((await post(`${fake.url}/v1/chat/completions`, chat('x'))).text);
    expect(echoed.choices[0].message.content).toBe(echoContent('x'));
  });

  it('drops the connection without a response for a destroy reply', async () => {
    const fake = await start({ respond: () => ({ destroy: true }) });
    await expect(post(`${fake.url}/v1/chat/completions`, chat('x'))).rejects.toMatchObject({
      code: 'UND_ERR_SOCKET',
    });
    await expect.poll(() => fake.stats).toMatchObject({ dropped: 1, aborted: 0, answered: 0, inFlight: 0 });
  });

  it('answers 500 naming the error when respond throws', async () => {
    const fake = await start({
      respond: () => {
        throw new Error('script bug');
      },
    });
    const reply = await post(`${fake.url}/v1/chat/completions`, chat('x'));
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.text).error.message).toContain('script bug');
  });
});

describe('startFakeProvider reply checks', () => {
  it('answers 500 naming the problem when a scripted status or header cannot be sent', async () => {
    const fake = await start({
      respond: (incoming) => (incoming.n === 1 ? { status: 42 } : { headers: { 'x-bad': 'a\nb' } }),
    });
    const badStatus = await post(`${fake.url}/v1/chat/completions`, chat('x'));
    expect(badStatus.status).toBe(500);
    expect(JSON.parse(badStatus.text).error.message).toMatch(/cannot send this reply: .*42/);
    const badHeader = await post(`${fake.url}/v1/chat/completions`, chat('x'));
    expect(badHeader.status).toBe(500);
    expect(JSON.parse(badHeader.text).error.message).toMatch(/cannot send this reply: .*x-bad/);
  });
});

describe('startFakeProvider log', () => {
  it('logs each request with its parsed body and redacted credentials', async () => {
    const fake = await start();
    await post(`${fake.url}/v1/chat/completions`, chat('one'), { authorization: 'Bearer sk-secret-123' });
    await post(
      `${fake.url}/v1/messages`,
      { model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'two' }] },
      { 'x-api-key': 'sk-ant-secret' },
    );
    const [first, second] = fake.log;
    expect(first).toMatchObject({
      id: 'req_fake_1',
      n: 1,
      api: 'openai',
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      body: chat('one'),
      userText: 'one',
      promptChars: 'Answer in JSON.one'.length,
      receivedAt: expect.any(Number),
    });
    expect(first?.headers.authorization).toBe('Bearer ***');
    expect(second).toMatchObject({ n: 2, api: 'anthropic', userText: 'two' });
    expect(second?.headers['x-api-key']).toBe('***');
    expect(JSON.stringify(fake.log)).not.toContain('secret');
  });

  it('keeps only the latest logSize requests, oldest first', async () => {
    const fake = await start({ logSize: 3 });
    for (const text of ['a', 'b', 'c', 'd', 'e']) await post(`${fake.url}/v1/chat/completions`, chat(text));
    expect(fake.log.map((entry) => entry.userText)).toEqual(['c', 'd', 'e']);
    expect(fake.requests).toBe(5);
  });
});

describe('startFakeProvider options', () => {
  it('rejects malformed options with invalid-options naming the field', async () => {
    const attempt = startFakeProvider({ latencyMs: -5 });
    await expect(attempt).rejects.toSatisfy(
      (error) => LLMBatchError.isInstance(error) && error.code === 'invalid-options',
    );
    await expect(startFakeProvider({ latencyMs: -5 })).rejects.toThrow(
      /"latencyMs" is invalid \(received -5\)/,
    );
    await expect(startFakeProvider({ rateLimit: { requestsPerMinute: 0 } })).rejects.toThrow(
      /"rateLimit.requestsPerMinute"/,
    );
  });

  it('listens on the port asked for', async () => {
    const probe = await start();
    const port = probe.port;
    await probe.close();
    const fake = await start({ port });
    expect(fake.url).toBe(`http://127.0.0.1:${port}`);
  });
});
