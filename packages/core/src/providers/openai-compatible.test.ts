import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recorded } from '../__fixtures__/recorded.js';
import { LLMBatchError } from '../errors.js';
import { createOpenAICompatibleProvider, parseDuration, readRateLimitHeaders } from './openai-compatible.js';

const apiKey = 'sk-test-SECRET-0123456789abcdef';
const origin = 'https://api.example.test';

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  await agent.close();
});

function completion(content: string, usage = { prompt_tokens: 12, completion_tokens: 5 }) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: {
      ...usage,
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
      prompt_tokens_details: { cached_tokens: 4 },
    },
  };
}

const request = (signal = new AbortController().signal) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'hi' }],
  signal,
});

describe('OpenAI-compatible provider', () => {
  it('sends the chat request with auth, options and structured output, and reads text, usage and rate-limit headers', async () => {
    let sentBody: unknown;
    let sentHeaders: Record<string, string> = {};
    agent
      .get(origin)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply((options) => {
        sentBody = JSON.parse(String(options.body));
        sentHeaders = options.headers as Record<string, string>;
        return {
          statusCode: 200,
          data: completion('{"ok":true}'),
          responseOptions: {
            headers: { 'x-ratelimit-remaining-requests': '499', 'x-ratelimit-reset-tokens': '6m0s' },
          },
        };
      });
    const provider = createOpenAICompatibleProvider({ apiKey, baseURL: `${origin}/v1/`, dispatcher: agent });
    const response = await provider.complete({
      ...request(),
      temperature: 0,
      maxTokens: 50,
      seed: 3,
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } },
      headers: { 'x-trace': 't1' },
    });
    expect(sentBody).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0,
      max_tokens: 50,
      seed: 3,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object' }, strict: true },
      },
    });
    expect(sentHeaders.authorization).toBe(`Bearer ${apiKey}`);
    expect(sentHeaders['x-trace']).toBe('t1');
    expect(response).toEqual({
      text: '{"ok":true}',
      usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 4, cacheWriteTokens: 0 },
      finishReason: 'stop',
      rateLimit: { remainingRequests: 499, resetTokensMs: 360_000 },
    });
  });

  it('maps 429 to a retryable rate-limited error carrying retry-after-ms', async () => {
    agent
      .get(origin)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(
        429,
        { error: { message: 'Rate limit reached', type: 'requests' } },
        { headers: { 'retry-after-ms': '1500' } },
      );
    const provider = createOpenAICompatibleProvider({ apiKey, baseURL: `${origin}/v1`, dispatcher: agent });
    const error = await provider.complete(request()).catch((caught: unknown) => caught);
    expect(LLMBatchError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'rate-limited', status: 429, isRetryable: true, retryAfterMs: 1500 });
    expect((error as Error).message).toBe('openai answered HTTP 429: Rate limit reached');
  });

  it('maps 5xx to provider-unavailable (an availability failure) and 400 to provider-rejected (not retried)', async () => {
    const pool = agent.get(origin);
    pool.intercept({ path: '/v1/chat/completions', method: 'POST' }).reply(503, 'upstream down');
    pool
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(400, { error: { message: "This model's maximum context length is 128000 tokens" } });
    const provider = createOpenAICompatibleProvider({ apiKey, baseURL: `${origin}/v1`, dispatcher: agent });
    const unavailable = await provider.complete(request()).catch((caught: unknown) => caught);
    expect(unavailable).toMatchObject({
      code: 'provider-unavailable',
      isRetryable: true,
      isAvailabilityFailure: true,
    });
    const rejected = await provider.complete(request()).catch((caught: unknown) => caught);
    expect(rejected).toMatchObject({
      code: 'provider-rejected',
      isRetryable: false,
      isAvailabilityFailure: false,
      status: 400,
    });
  });

  it('never puts the API key in an error, even when the provider echoes it', async () => {
    agent
      .get(origin)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(401, { error: { message: `Incorrect API key provided: ${apiKey}` } });
    const provider = createOpenAICompatibleProvider({ apiKey, baseURL: `${origin}/v1`, dispatcher: agent });
    const error = (await provider.complete(request()).catch((caught: unknown) => caught)) as LLMBatchError;
    expect(error.message).toBe('openai answered HTTP 401: Incorrect API key provided: [redacted]');
    expect(JSON.stringify(error.toJSON())).not.toContain(apiKey);
  });

  it('maps a connection failure to a retryable connection error', async () => {
    agent
      .get(origin)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    const provider = createOpenAICompatibleProvider({ apiKey, baseURL: `${origin}/v1`, dispatcher: agent });
    const error = await provider.complete(request()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'connection', isRetryable: true, isAvailabilityFailure: true });
  });

  it('rejects a 200 without message content as invalid-response', async () => {
    agent
      .get(origin)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(200, { choices: [{ message: { role: 'assistant', content: null, refusal: 'I will not.' } }] });
    const provider = createOpenAICompatibleProvider({ apiKey, baseURL: `${origin}/v1`, dispatcher: agent });
    const error = await provider.complete(request()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid-response', message: 'openai model refused: I will not.' });
  });

  it('rejects an invalid baseURL at creation', () => {
    expect(() => createOpenAICompatibleProvider({ baseURL: 'not a url' })).toThrow(
      'baseURL "not a url" of provider openai is not a valid URL',
    );
  });
});

describe('OpenAI provider against recorded responses', () => {
  function replyWith(name: string, capture?: (body: Record<string, unknown>) => void) {
    const fixture = recorded(name);
    agent
      .get(origin)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply((options) => {
        capture?.(JSON.parse(String(options.body)) as Record<string, unknown>);
        return {
          statusCode: fixture.status,
          data: fixture.body,
          responseOptions: { headers: fixture.headers },
        };
      });
  }
  const provider = () =>
    createOpenAICompatibleProvider({ apiKey, baseURL: `${origin}/v1`, dispatcher: agent });

  it('reads cached prompt tokens (counted inside inputTokens) and every x-ratelimit header', async () => {
    replyWith('openai/chat-completion-cached');
    const response = await provider().complete(request());
    expect(response.usage).toEqual({
      inputTokens: 1117,
      outputTokens: 14,
      cachedInputTokens: 1024,
      cacheWriteTokens: 0,
    });
    expect(response.rateLimit).toEqual({
      limitRequests: 5000,
      limitTokens: 4_000_000,
      remainingRequests: 4999,
      remainingTokens: 3_998_871,
      resetRequestsMs: 12,
      resetTokensMs: 16,
    });
  });

  it('sends strict: false when the job says the schema is not strict-compatible, and reads the JSON answer', async () => {
    let body: Record<string, unknown> = {};
    replyWith('openai/chat-completion-json-schema', (sent) => {
      body = sent;
    });
    const schema = { type: 'object', properties: { name: { type: 'string' } } };
    const response = await provider().complete({
      ...request(),
      responseFormat: { type: 'json_schema', name: 'person', schema, strict: false },
    });
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'person', schema, strict: false },
    });
    expect(JSON.parse(response.text)).toEqual({
      name: 'Ada Lovelace',
      born: 1815,
      fields: ['mathematics', 'computing'],
    });
  });

  it('sends maxTokens as max_completion_tokens to reasoning models, which refuse max_tokens', async () => {
    let body: Record<string, unknown> = {};
    replyWith('openai/chat-completion-json-schema', (sent) => {
      body = sent;
    });
    await provider().complete({ ...request(), model: 'gpt-5-mini', maxTokens: 400 });
    expect(body.max_completion_tokens).toBe(400);
    expect(body.max_tokens).toBeUndefined();
  });

  it('maps the recorded 429 to rate-limited with retry-after-ms and the rate-limit headers in details', async () => {
    replyWith('openai/rate-limited-429');
    const error = (await provider()
      .complete(request())
      .catch((caught: unknown) => caught)) as LLMBatchError;
    expect(error).toMatchObject({
      code: 'rate-limited',
      status: 429,
      retryAfterMs: 820,
      isAvailabilityFailure: true,
    });
    expect(error.details?.rateLimit).toEqual({
      limitRequests: 500,
      limitTokens: 200_000,
      remainingRequests: 0,
      remainingTokens: 199_412,
      resetRequestsMs: 820,
      resetTokensMs: 176,
    });
  });
});

describe('rate-limit headers', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['20ms', 20],
    ['2', 2000],
    ['soon', undefined],
  ])('parses duration %s', (value, expected) => {
    expect(parseDuration(value)).toBe(expected);
  });

  it('returns undefined when no rate-limit header is present', () => {
    expect(readRateLimitHeaders({ 'content-type': 'application/json' })).toBeUndefined();
  });
});
