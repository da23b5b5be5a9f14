import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recorded } from '../__fixtures__/recorded.js';
import { LLMBatchError } from '../errors.js';
import { createAnthropicProvider } from './anthropic.js';
import { readAnthropicRateLimitHeaders } from './anthropic-headers.js';

const apiKey = 'sk-ant-api03-SECRET-abcdef0123456789';
const origin = 'https://api.anthropic.test';

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  await agent.close();
});

function replyWith(name: string, capture?: (body: unknown, headers: Record<string, string>) => void) {
  const fixture = recorded(name);
  agent
    .get(origin)
    .intercept({ path: '/v1/messages', method: 'POST' })
    .reply((options) => {
      capture?.(JSON.parse(String(options.body)), options.headers as Record<string, string>);
      return {
        statusCode: fixture.status,
        data: fixture.body,
        responseOptions: { headers: fixture.headers },
      };
    });
}

const provider = () => createAnthropicProvider({ apiKey, baseURL: origin, dispatcher: agent });
const signal = () => new AbortController().signal;

describe('Anthropic provider', () => {
  it('sends the system prompt top-level, the key and version headers, and a default max_tokens', async () => {
    let body: unknown;
    let headers: Record<string, string> = {};
    replyWith('anthropic/message-cache-tokens', (sent, sentHeaders) => {
      body = sent;
      headers = sentHeaders;
    });
    await provider().complete({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Classify "great"' },
      ],
      temperature: 0.2,
      seed: 7,
      signal: signal(),
    });
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'Classify "great"' }],
      system: 'Be terse.',
      temperature: 0.2,
    });
    expect(headers['x-api-key']).toBe(apiKey);
    expect(headers['anthropic-version']).toBe('2023-06-01');
  });

  it('counts cache reads and writes inside inputTokens, as the price table expects', async () => {
    replyWith('anthropic/message-cache-tokens');
    const response = await provider().complete({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      maxTokens: 200,
      signal: signal(),
    });
    expect(response.text).toBe('{"sentiment": "positive", "confidence": 0.88}');
    expect(response.finishReason).toBe('end_turn');
    expect(response.usage).toEqual({
      inputTokens: 57 + 2048 + 312,
      outputTokens: 96,
      cachedInputTokens: 2048,
      cacheWriteTokens: 312,
    });
    expect(response.rateLimit).toMatchObject({
      limitRequests: 4000,
      remainingRequests: 3999,
      limitTokens: 2_400_000,
      remainingTokens: 2_397_000,
    });
  });

  it('asks for structured output with one forced tool and reads its input back as the answer', async () => {
    let body: Record<string, unknown> = {};
    replyWith('anthropic/message-tool-use', (sent) => {
      body = sent as Record<string, unknown>;
    });
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, born: { type: 'integer' } },
      required: ['name', 'born'],
    };
    const response = await provider().complete({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'Who wrote the first program?' }],
      maxTokens: 300,
      responseFormat: { type: 'json_schema', name: 'person', schema, strict: false },
      signal: signal(),
    });
    expect(body.tools).toEqual([{ name: 'person', description: expect.any(String), input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'person' });
    expect(body.max_tokens).toBe(300);
    expect(JSON.parse(response.text)).toEqual({
      name: 'Ada Lovelace',
      born: 1815,
      fields: ['mathematics', 'computing'],
    });
    expect(response.finishReason).toBe('tool_use');
  });

  it('asks in words for a schema whose root is not an object (tools take objects only)', async () => {
    let body: Record<string, unknown> = {};
    replyWith('anthropic/message-cache-tokens', (sent) => {
      body = sent as Record<string, unknown>;
    });
    await provider().complete({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'List three colours' }],
      responseFormat: {
        type: 'json_schema',
        name: 'colours',
        schema: { type: 'array', items: { type: 'string' } },
      },
      signal: signal(),
    });
    expect(body.tools).toBeUndefined();
    expect(body.system).toBe(
      'Answer with only a JSON value matching this JSON Schema:\n{"type":"array","items":{"type":"string"}}',
    );
  });

  it('maps 529 overloaded to a retryable provider-unavailable error that counts for the breaker', async () => {
    replyWith('anthropic/overloaded-529');
    const error = await provider()
      .complete({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }], signal: signal() })
      .catch((caught: unknown) => caught);
    expect(LLMBatchError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'provider-unavailable',
      status: 529,
      isRetryable: true,
      isAvailabilityFailure: true,
      message: 'anthropic answered HTTP 529: Overloaded',
    });
  });

  it('maps 429 to rate-limited with retry-after and the rate-limit headers in details', async () => {
    replyWith('anthropic/rate-limited-429');
    const error = (await provider()
      .complete({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }], signal: signal() })
      .catch((caught: unknown) => caught)) as LLMBatchError;
    expect(error).toMatchObject({
      code: 'rate-limited',
      status: 429,
      isRetryable: true,
      retryAfterMs: 23_000,
    });
    expect(error.details?.rateLimit).toMatchObject({
      limitRequests: 50,
      remainingRequests: 0,
      limitTokens: 40_000,
    });
  });

  it('never puts the API key in an error, even when the API echoes it', async () => {
    agent
      .get(origin)
      .intercept({ path: '/v1/messages', method: 'POST' })
      .reply(401, {
        type: 'error',
        error: { type: 'authentication_error', message: `invalid x-api-key ${apiKey}` },
      });
    const error = (await provider()
      .complete({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }], signal: signal() })
      .catch((caught: unknown) => caught)) as LLMBatchError;
    expect(error.message).toBe('anthropic answered HTTP 401: invalid x-api-key [redacted]');
    expect(JSON.stringify(error.toJSON())).not.toContain(apiKey);
  });

  it('accepts a base URL that already ends in /v1', async () => {
    replyWith('anthropic/message-cache-tokens');
    const withV1 = createAnthropicProvider({ apiKey, baseURL: `${origin}/v1/`, dispatcher: agent });
    const response = await withV1.complete({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      signal: signal(),
    });
    expect(response.usage.outputTokens).toBe(96);
  });
});

describe('Anthropic rate-limit headers', () => {
  it('reads limits, remaining counts and RFC 3339 resets relative to now', () => {
    const { headers } = recorded('anthropic/rate-limited-429');
    const now = Date.parse('2025-10-29T10:16:30Z');
    expect(readAnthropicRateLimitHeaders(headers, now)).toEqual({
      limitRequests: 50,
      remainingRequests: 0,
      resetRequestsMs: 30_000,
      limitTokens: 40_000,
      remainingTokens: 31_200,
      resetTokensMs: 10_000,
    });
  });

  it('falls back to the input-token headers and returns undefined without any', () => {
    const now = Date.parse('2025-10-29T10:15:30Z');
    expect(
      readAnthropicRateLimitHeaders(
        {
          'anthropic-ratelimit-input-tokens-limit': '2000000',
          'anthropic-ratelimit-input-tokens-remaining': '1998000',
          'anthropic-ratelimit-input-tokens-reset': '2025-10-29T10:15:31Z',
        },
        now,
      ),
    ).toEqual({ limitTokens: 2_000_000, remainingTokens: 1_998_000, resetTokensMs: 1000 });
    expect(readAnthropicRateLimitHeaders({ 'content-type': 'application/json' }, now)).toBeUndefined();
  });
});
