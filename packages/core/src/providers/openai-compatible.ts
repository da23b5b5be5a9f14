import { LLMBatchError } from '../errors.js';
import type { Usage } from '../types.js';
import { createHttpSender, type JsonResponse } from './http.js';
import type {
  HttpProviderOptions,
  Provider,
  ProviderRequest,
  ProviderResponse,
  RateLimitInfo,
} from './provider.js';

/** Options of {@link createOpenAICompatibleProvider}. */
export interface OpenAICompatibleProviderOptions extends HttpProviderOptions {
  /**
   * Base URL ending before `/chat/completions`. Works with OpenAI, Azure OpenAI (with `apiKeyHeader`),
   * vLLM, Ollama, OpenRouter, Groq and any other compatible server.
   * @default 'https://api.openai.com/v1'
   */
  baseURL?: string;
  /**
   * Provider name used in `name:model` strings and messages. The job's `maxTokens` is sent as
   * `max_completion_tokens` to OpenAI reasoning models (`o1`, `o3`, `o4-mini`, `gpt-5*`), which refuse
   * `max_tokens`, and as `max_tokens` otherwise.
   * @default 'openai'
   */
  name?: string;
  /**
   * Header that carries the key. `authorization` sends `Bearer <key>`; any other name (Azure's
   * `api-key`) sends the key as is.
   * @default 'authorization'
   */
  apiKeyHeader?: string;
}

const completionTokensModel = /^(o\d|gpt-5)/;

/**
 * A provider for OpenAI's chat completions API and every server that speaks it, over undici with a
 * keep-alive connection pool.
 *
 * @example
 * ```ts
 * const openai = createOpenAICompatibleProvider({ apiKey: process.env.OPENAI_API_KEY });
 * const local = createOpenAICompatibleProvider({ name: 'ollama', baseURL: 'http://127.0.0.1:11434/v1' });
 * const engine = createEngine({ providers: { openai, ollama: local } });
 * ```
 */
export function createOpenAICompatibleProvider(options: OpenAICompatibleProviderOptions = {}): Provider {
  const name = options.name ?? 'openai';
  const baseURL = (options.baseURL ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${baseURL}/chat/completions`);
  } catch (error) {
    throw new LLMBatchError({
      code: 'invalid-options',
      message: `baseURL "${baseURL}" of provider ${name} is not a valid URL`,
      cause: error,
    });
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.apiKey !== undefined && options.apiKey !== '') {
    const header = (options.apiKeyHeader ?? 'authorization').toLowerCase();
    headers[header] = header === 'authorization' ? `Bearer ${options.apiKey}` : options.apiKey;
  }
  const sender = createHttpSender({
    url,
    ...pickTransport(options),
    providerName: name,
    secrets: options.apiKey === undefined ? [] : [options.apiKey],
    readRateLimit: readRateLimitHeaders,
  });

  const read = (response: JsonResponse) => readCompletion(response.body, response.headers, name);

  return {
    name,
    complete(request: ProviderRequest): Promise<ProviderResponse> {
      const body: Record<string, unknown> = { model: request.model, messages: request.messages };
      if (request.temperature !== undefined) body.temperature = request.temperature;
      if (request.maxTokens !== undefined) {
        // OpenAI's reasoning models reject `max_tokens`; compatible servers only know `max_tokens`.
        if (completionTokensModel.test(request.model)) body.max_completion_tokens = request.maxTokens;
        else body.max_tokens = request.maxTokens;
      }
      if (request.seed !== undefined) body.seed = request.seed;
      if (request.responseFormat !== undefined && request.responseFormat.type !== 'text') {
        body.response_format =
          request.responseFormat.type === 'json_schema'
            ? {
                type: 'json_schema',
                json_schema: {
                  name: request.responseFormat.name,
                  schema: request.responseFormat.schema,
                  strict: request.responseFormat.strict ?? true,
                },
              }
            : { type: 'json_object' };
      }
      let text: string;
      try {
        text = JSON.stringify(body);
      } catch (error) {
        return Promise.reject(error);
      }
      // Not an async function: the sender's frame is the only one a call in flight keeps.
      return sender.send(
        {
          headers: request.headers === undefined ? headers : { ...headers, ...request.headers },
          body: text,
          signal: request.signal,
        },
        read,
      );
    },
    close: () => sender.close(),
  };
}

function pickTransport(options: HttpProviderOptions) {
  const out: {
    dispatcher?: NonNullable<HttpProviderOptions['dispatcher']>;
    headersTimeoutMs?: number;
    bodyTimeoutMs?: number;
    connectTimeoutMs?: number;
    maxConnections?: number;
  } = {};
  if (options.dispatcher !== undefined) out.dispatcher = options.dispatcher;
  if (options.headersTimeoutMs !== undefined) out.headersTimeoutMs = options.headersTimeoutMs;
  if (options.bodyTimeoutMs !== undefined) out.bodyTimeoutMs = options.bodyTimeoutMs;
  if (options.connectTimeoutMs !== undefined) out.connectTimeoutMs = options.connectTimeoutMs;
  if (options.maxConnections !== undefined) out.maxConnections = options.maxConnections;
  return out;
}

interface CompletionBody {
  choices?: Array<{ message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }>;
  usage?: {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    prompt_tokens_details?: { cached_tokens?: unknown } | null;
  };
}

function readCompletion(
  raw: unknown,
  headers: Record<string, string | string[] | undefined>,
  name: string,
): ProviderResponse {
  const body = (raw ?? {}) as CompletionBody;
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  const content = choice?.message?.content;
  if (typeof content !== 'string') {
    const refusal = choice?.message?.refusal;
    throw new LLMBatchError({
      code: 'invalid-response',
      message:
        typeof refusal === 'string'
          ? `${name} model refused: ${refusal.slice(0, 300)}`
          : `${name} response has no choices[0].message.content`,
      isRetryable: false,
      isAvailabilityFailure: false,
    });
  }
  const usage: Usage = {
    inputTokens: toCount(body.usage?.prompt_tokens),
    outputTokens: toCount(body.usage?.completion_tokens),
    cachedInputTokens: toCount(body.usage?.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: 0,
  };
  const response: ProviderResponse = { text: content, usage };
  if (typeof choice?.finish_reason === 'string') response.finishReason = choice.finish_reason;
  const rateLimit = readRateLimitHeaders(headers);
  if (rateLimit !== undefined) response.rateLimit = rateLimit;
  return response;
}

function toCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * Reads OpenAI's `x-ratelimit-*` headers (limit, remaining and reset, for requests and tokens). Reset
 * values look like `1s`, `6m0s`, `20ms`.
 *
 * @example
 * ```ts
 * readRateLimitHeaders({ 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '1s' });
 * // { remainingRequests: 59, resetRequestsMs: 1000 }
 * ```
 */
export function readRateLimitHeaders(
  headers: Record<string, string | string[] | undefined>,
): RateLimitInfo | undefined {
  const limitRequests = toNumber(headers['x-ratelimit-limit-requests']);
  const limitTokens = toNumber(headers['x-ratelimit-limit-tokens']);
  const remainingRequests = toNumber(headers['x-ratelimit-remaining-requests']);
  const remainingTokens = toNumber(headers['x-ratelimit-remaining-tokens']);
  const resetRequestsMs = parseDuration(headers['x-ratelimit-reset-requests']);
  const resetTokensMs = parseDuration(headers['x-ratelimit-reset-tokens']);
  if (
    limitRequests === undefined &&
    limitTokens === undefined &&
    remainingRequests === undefined &&
    remainingTokens === undefined &&
    resetRequestsMs === undefined &&
    resetTokensMs === undefined
  ) {
    return undefined;
  }
  const info: RateLimitInfo = {};
  if (limitRequests !== undefined) info.limitRequests = limitRequests;
  if (limitTokens !== undefined) info.limitTokens = limitTokens;
  if (remainingRequests !== undefined) info.remainingRequests = remainingRequests;
  if (remainingTokens !== undefined) info.remainingTokens = remainingTokens;
  if (resetRequestsMs !== undefined) info.resetRequestsMs = resetRequestsMs;
  if (resetTokensMs !== undefined) info.resetTokensMs = resetTokensMs;
  return info;
}

function toNumber(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

const durationPart = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;

/**
 * Parses Go-style durations used by OpenAI's reset headers (`1s`, `6m0s`, `1h2m3.5s`, `20ms`) into
 * milliseconds; a bare number is taken as seconds.
 *
 * @example
 * ```ts
 * parseDuration('6m0s'); // 360000
 * ```
 */
export function parseDuration(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  let total = 0;
  let consumed = 0;
  for (const match of value.matchAll(durationPart)) {
    const amount = Number(match[1]);
    const unit = match[2];
    total += amount * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1);
    consumed += match[0].length;
  }
  return consumed === value.length && consumed > 0 ? Math.round(total) : undefined;
}
