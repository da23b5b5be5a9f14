import { LLMBatchError } from '../errors.js';
import type { Usage } from '../types.js';
import { readAnthropicRateLimitHeaders } from './anthropic-headers.js';
import { createHttpSender } from './http.js';
import { defaultMaxOutputTokens } from './max-tokens.js';
import type { HttpProviderOptions, Provider, ProviderRequest, ProviderResponse } from './provider.js';

/**
 * Options of {@link createAnthropicProvider}.
 *
 * @example
 * ```ts
 * const options: AnthropicProviderOptions = { apiKey: process.env.ANTHROPIC_API_KEY ?? '', defaultMaxTokens: 1024 };
 * ```
 */
export interface AnthropicProviderOptions extends HttpProviderOptions {
  /** API key, sent as `x-api-key`. Never logged, never put in errors. */
  apiKey: string;
  /**
   * Base URL; requests go to `{baseURL}/v1/messages` (a trailing `/v1` is accepted too).
   * @default 'https://api.anthropic.com'
   */
  baseURL?: string;
  /** Value of the `anthropic-version` header. @default '2023-06-01' */
  version?: string;
  /** Provider name used in `name:model` strings and messages. @default 'anthropic' */
  name?: string;
  /**
   * `max_tokens` when the job sets no `maxTokens` (the Messages API requires one).
   * @default 4096
   */
  defaultMaxTokens?: number;
}

interface ContentBlock {
  type?: unknown;
  text?: unknown;
  name?: unknown;
  input?: unknown;
}

interface MessageBody {
  content?: ContentBlock[];
  stop_reason?: unknown;
  usage?: {
    input_tokens?: unknown;
    output_tokens?: unknown;
    cache_read_input_tokens?: unknown;
    cache_creation_input_tokens?: unknown;
  };
}

const toolDescription = 'Record your answer. Its input is the answer, in the required structure.';

/**
 * A provider for Anthropic's Messages API over undici. The system prompt goes in the top-level
 * `system` field; `max_tokens` is always sent (the job's `maxTokens`, else `defaultMaxTokens`).
 * Structured output (`json_schema`) is asked for with one forced tool whose `input_schema` is the
 * schema, and the tool's input is read back as the answer. Usage counts cache reads and writes inside
 * `inputTokens` (Anthropic reports them apart), so each token is priced once at its own rate. A 529
 * "overloaded" answer is a retryable `provider-unavailable` error that counts for the circuit breaker.
 *
 * @example
 * ```ts
 * const anthropic = createAnthropicProvider({ apiKey: process.env.ANTHROPIC_API_KEY ?? '' });
 * const engine = createEngine({ providers: { anthropic } });
 * engine.run(rows, { model: 'anthropic:claude-haiku-4-5', prompt: 'Summarise {{text}}', maxTokens: 300 });
 * ```
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): Provider {
  const name = options.name ?? 'anthropic';
  const baseURL = (options.baseURL ?? 'https://api.anthropic.com').replace(/\/+$/, '').replace(/\/v1$/, '');
  let url: URL;
  try {
    url = new URL(`${baseURL}/v1/messages`);
  } catch (error) {
    throw new LLMBatchError({
      code: 'invalid-options',
      message: `baseURL "${baseURL}" of provider ${name} is not a valid URL`,
      cause: error,
    });
  }
  const defaultMaxTokens = options.defaultMaxTokens ?? defaultMaxOutputTokens;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': options.version ?? '2023-06-01',
    ...options.headers,
  };
  if (options.apiKey !== '') headers['x-api-key'] = options.apiKey;
  const sender = createHttpSender({
    url,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    ...(options.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: options.headersTimeoutMs }),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    providerName: name,
    secrets: options.apiKey === '' ? [] : [options.apiKey],
    readRateLimit: (responseHeaders) => readAnthropicRateLimitHeaders(responseHeaders),
  });

  return {
    name,
    async complete(request: ProviderRequest): Promise<ProviderResponse> {
      const { body, toolName } = buildBody(request, defaultMaxTokens);
      return sender.send(
        {
          headers: request.headers === undefined ? headers : { ...headers, ...request.headers },
          body: JSON.stringify(body),
          signal: request.signal,
        },
        (response) => {
          const result = readMessage(response.body, name, toolName);
          const rateLimit = readAnthropicRateLimitHeaders(response.headers);
          if (rateLimit !== undefined) result.rateLimit = rateLimit;
          return result;
        },
      );
    },
    close: () => sender.close(),
  };
}

function buildBody(
  request: ProviderRequest,
  defaultMaxTokens: number,
): { body: Record<string, unknown>; toolName: string | undefined } {
  const system: string[] = [];
  const messages: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (const message of request.messages) {
    if (message.role === 'system') system.push(message.content);
    else messages.push({ role: message.role, content: message.content });
  }
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
  };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  let toolName: string | undefined;
  const format = request.responseFormat;
  if (format?.type === 'json_schema' && format.schema.type === 'object') {
    toolName = format.name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'output';
    body.tools = [{ name: toolName, description: toolDescription, input_schema: format.schema }];
    body.tool_choice = { type: 'tool', name: toolName };
  } else if (format?.type === 'json_schema') {
    // Tools take object inputs only; any other root is asked for in words and validated locally.
    system.push(`Answer with only a JSON value matching this JSON Schema:\n${JSON.stringify(format.schema)}`);
  } else if (format?.type === 'json_object') {
    system.push('Answer with only a JSON value, with no other text.');
  }
  if (system.length > 0) body.system = system.join('\n\n');
  return { body, toolName };
}

function readMessage(raw: unknown, name: string, toolName: string | undefined): ProviderResponse {
  const body = (raw ?? {}) as MessageBody;
  const blocks = Array.isArray(body.content) ? body.content : [];
  let text: string | undefined;
  const tool = toolName === undefined ? undefined : blocks.find((block) => block.type === 'tool_use');
  if (tool !== undefined && tool.input !== undefined) {
    text = JSON.stringify(tool.input);
  } else {
    for (const block of blocks) {
      if (block.type === 'text' && typeof block.text === 'string') text = (text ?? '') + block.text;
    }
  }
  if (text === undefined) {
    throw new LLMBatchError({
      code: 'invalid-response',
      message: `${name} response has no text or tool_use content`,
      isRetryable: false,
      isAvailabilityFailure: false,
      details: { stopReason: typeof body.stop_reason === 'string' ? body.stop_reason : undefined },
    });
  }
  const uncached = toCount(body.usage?.input_tokens);
  const cacheRead = toCount(body.usage?.cache_read_input_tokens);
  const cacheWrite = toCount(body.usage?.cache_creation_input_tokens);
  const usage: Usage = {
    inputTokens: uncached + cacheRead + cacheWrite,
    outputTokens: toCount(body.usage?.output_tokens),
    cachedInputTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
  };
  const response: ProviderResponse = { text, usage };
  if (typeof body.stop_reason === 'string') response.finishReason = body.stop_reason;
  return response;
}

function toCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}
