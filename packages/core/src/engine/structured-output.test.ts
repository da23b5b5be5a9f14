import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createAnthropicProvider } from '../providers/anthropic.js';
import { createMockProvider } from '../providers/mock.js';
import { createOpenAICompatibleProvider } from '../providers/openai-compatible.js';
import type { ProviderRequest } from '../providers/provider.js';
import { type FakeProvider, startFakeProvider } from '../testing/index.js';
import type { UnitResult } from '../types.js';
import { createEngine } from './create-engine.js';

const person = {
  type: 'object',
  properties: { name: { type: 'string' }, born: { type: 'integer' } },
  required: ['name', 'born'],
  additionalProperties: false,
};
const usage = { inputTokens: 100, outputTokens: 10, cachedInputTokens: 0, cacheWriteTokens: 0 };
const perCall = (100 * 0.15 + 10 * 0.6) / 1_000_000;

async function collect(iterable: AsyncIterable<UnitResult>): Promise<UnitResult[]> {
  const out: UnitResult[] = [];
  for await (const result of iterable) out.push(result);
  return out;
}

/** A provider that answers with `answers` in turn and keeps every request. */
function scripted(answers: string[]) {
  const requests: ProviderRequest[] = [];
  const provider = createMockProvider({
    name: 'openai',
    respond: (request) => {
      requests.push(request);
      return { text: answers[Math.min(requests.length - 1, answers.length - 1)] ?? '', usage };
    },
  });
  return { provider, requests };
}

let server: FakeProvider | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('structured output in the engine', () => {
  it('re-asks with the validation errors, records both attempts and sums their usage and cost', async () => {
    const { provider, requests } = scripted(['{"name": "Ada"}', '{"name": "Ada", "born": 1815}']);
    const engine = createEngine({ providers: { openai: provider } });
    const run = engine.run([{ who: 'Ada' }], {
      model: 'openai:gpt-4o-mini',
      prompt: 'About {{who}}',
      schema: person,
    });
    const repairs: unknown[] = [];
    run.on('unit-repair', (event) => repairs.push(event));
    const [result] = await collect(run);
    expect(result).toMatchObject({
      status: 'ok',
      value: { name: 'Ada', born: 1815 },
      raw: '{"name": "Ada", "born": 1815}',
    });
    expect(result?.attempts).toEqual([
      {
        attempt: 1,
        durationMs: expect.any(Number),
        usage,
        cost: perCall,
        issues: [{ path: '', message: "must have required property 'born'" }],
      },
      { attempt: 2, durationMs: expect.any(Number), usage, cost: perCall, repair: true },
    ]);
    expect(result?.usage).toEqual({ ...usage, inputTokens: 200, outputTokens: 20 });
    expect(result?.cost).toBeCloseTo(2 * perCall, 15);
    expect(repairs).toEqual([
      {
        index: 0,
        key: '0',
        repair: 1,
        issues: [{ path: '', message: "must have required property 'born'" }],
      },
    ]);
    expect(requests[1]?.messages).toEqual([
      { role: 'user', content: 'About "Ada"' },
      { role: 'assistant', content: '{"name": "Ada"}' },
      {
        role: 'user',
        content:
          "Your previous answer did not match the required JSON schema:\n- (root): must have required property 'born'\nReply again with only the corrected JSON value, with no other text.",
      },
    ]);
    expect(requests[0]?.responseFormat).toEqual({
      type: 'json_schema',
      name: 'output',
      schema: person,
      strict: true,
    });
  });

  it('fails with output-invalid and the final issues after maxRepairAttempts, without ever opening the breaker', async () => {
    const { provider, requests } = scripted(['{"name": 1}']);
    const engine = createEngine({ providers: { openai: provider }, breaker: { failureThreshold: 1 } });
    const results = await collect(
      engine.run([{ id: 'a' }, { id: 'b' }], {
        model: 'openai:gpt-4o-mini',
        prompt: 'Person {{id}}',
        schema: person,
        maxRepairAttempts: 2,
        keyField: 'id',
      }),
    );
    expect(requests).toHaveLength(6);
    const [first] = results;
    expect(first?.status).toBe('error');
    expect(first?.error).toEqual({
      code: 'output-invalid',
      message:
        "unit a: output does not match the schema: (root): must have required property 'born'; /name: must be string (after 2 repair attempts)",
      isRetryable: false,
      details: {
        issues: [
          { path: '', message: "must have required property 'born'" },
          { path: '/name', message: 'must be string' },
        ],
        repairAttempts: 2,
      },
    });
    expect(first?.attempts.map((attempt) => attempt.repair ?? false)).toEqual([false, true, true]);
    expect(first?.cost).toBeCloseTo(3 * perCall, 15);
    expect(first?.raw).toBe('{"name": 1}');
    expect(engine.breakerState()).toBe('closed');
  });

  it('repairs types locally with a warning instead of re-asking', async () => {
    const { provider, requests } = scripted(['{"name": "Ada", "born": "1815"}']);
    const engine = createEngine({ providers: { openai: provider } });
    const [result] = await collect(
      engine.run([{ who: 'Ada' }], { model: 'openai:gpt-4o-mini', prompt: '{{who}}', schema: person }),
    );
    expect(requests).toHaveLength(1);
    expect(result?.value).toEqual({ name: 'Ada', born: 1815 });
    expect(result?.warnings).toEqual(['converted values to the schema\'s types: /born: "1815" → 1815']);
  });

  it('validates with a zod schema and sends no re-ask with maxRepairAttempts 0', async () => {
    const { provider, requests } = scripted(['{"label": "maybe"}']);
    const engine = createEngine({ providers: { openai: provider } });
    const [result] = await collect(
      engine.run([{ t: 'x' }], {
        model: 'openai:gpt-4o-mini',
        prompt: '{{t}}',
        schema: z.object({ label: z.enum(['spam', 'ham']) }),
        maxRepairAttempts: 0,
      }),
    );
    expect(requests).toHaveLength(1);
    expect(result?.error?.code).toBe('output-invalid');
    expect(result?.error?.details?.issues).toEqual([
      { path: '/label', message: 'Invalid option: expected one of "spam"|"ham"' },
    ]);
  });

  it('rejects a schema with text output', () => {
    const engine = createEngine();
    expect(() => engine.run([], { model: 'mock:m', prompt: 'p', output: 'text', schema: person })).toThrow(
      "invalid job: output: a schema needs output 'json'",
    );
  });
});

describe('structured output over the wire', () => {
  it('sends OpenAI json_schema strict for a strict-compatible schema and strict: false otherwise', async () => {
    server = await startFakeProvider({ respond: () => ({ content: '{"name": "Ada", "born": 1815}' }) });
    const engine = createEngine({
      providers: {
        openai: createOpenAICompatibleProvider({ apiKey: 'sk-test-1234567', baseURL: `${server.url}/v1` }),
      },
    });
    const loose = { ...person, required: ['name'] };
    const strictRun = await engine
      .run([{ a: 1 }], { model: 'openai:gpt-4o', prompt: '{{a}}', schema: person, schemaName: 'person' })
      .drain();
    const looseRun = await engine
      .run([{ a: 1 }], { model: 'openai:gpt-4o', prompt: '{{a}}', schema: loose })
      .drain();
    expect(strictRun.succeeded).toBe(1);
    expect(looseRun.succeeded).toBe(1);
    expect(server.log[0]?.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'person', schema: person, strict: true },
    });
    expect(server.log[1]?.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema: loose, strict: false },
    });
    await engine.close();
  });

  it('asks Anthropic through a forced tool and reads the tool input as the value', async () => {
    server = await startFakeProvider({
      respond: (request) => ({
        body: {
          id: `msg_${request.n}`,
          type: 'message',
          role: 'assistant',
          model: request.model,
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'person', input: { name: 'Ada', born: 1815 } }],
          stop_reason: 'tool_use',
          usage: {
            input_tokens: 400,
            output_tokens: 30,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
        },
      }),
    });
    const engine = createEngine({
      providers: {
        anthropic: createAnthropicProvider({ apiKey: 'sk-ant-test-123456', baseURL: server.url }),
      },
    });
    const [result] = await collect(
      engine.run([{ who: 'Ada' }], {
        model: 'anthropic:claude-haiku-4-5',
        prompt: 'About {{who}}',
        schema: person,
        schemaName: 'person',
        maxTokens: 200,
      }),
    );
    expect(result).toMatchObject({ status: 'ok', value: { name: 'Ada', born: 1815 } });
    expect(result?.cost).toBeCloseTo((400 * 1 + 30 * 5) / 1_000_000, 15);
    expect(server.log[0]?.body).toMatchObject({
      tools: [{ name: 'person', input_schema: person }],
      tool_choice: { type: 'tool', name: 'person' },
      max_tokens: 200,
    });
    await engine.close();
  });
});
