import type { Dispatcher } from 'undici';
import type { JsonValue, Usage } from '../types.js';

/** One chat message. */
export interface ChatMessage {
  /** Who speaks. */
  role: 'system' | 'user' | 'assistant';
  /** The text. */
  content: string;
}

/** What the engine asks a provider to do for one attempt. */
export interface ProviderRequest {
  /** Model name as the provider knows it (without the `provider:` prefix). */
  model: string;
  /** Conversation to send. */
  messages: ChatMessage[];
  /** Sampling temperature. */
  temperature?: number;
  /** Upper bound on output tokens. */
  maxTokens?: number;
  /** Seed for providers that support deterministic sampling. */
  seed?: number;
  /** Ask for JSON output; `json_schema` carries a JSON Schema. */
  responseFormat?: ResponseFormat;
  /** Extra HTTP headers for this request. */
  headers?: Record<string, string>;
  /** Aborts the attempt (timeout, cancellation). */
  signal: AbortSignal;
}

/** How the model should format its answer. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, JsonValue>; strict?: boolean };

/** What a provider returns for one successful attempt. */
export interface ProviderResponse {
  /** The model's text output. */
  text: string;
  /** Token usage reported by the provider. */
  usage: Usage;
  /** Why the model stopped (`stop`, `length`, ...), as the provider says it. */
  finishReason?: string;
  /** Rate-limit facts read from response headers, for the rate controller. */
  rateLimit?: RateLimitInfo;
}

/** Rate-limit headers as reported by a provider (OpenAI `x-ratelimit-*`, Anthropic `anthropic-ratelimit-*`). */
export interface RateLimitInfo {
  /** Requests allowed per window (usually a minute). */
  limitRequests?: number;
  /** Tokens allowed per window (usually a minute). */
  limitTokens?: number;
  /** Requests left in the current window. */
  remainingRequests?: number;
  /** Tokens left in the current window. */
  remainingTokens?: number;
  /** Milliseconds until the request allowance is full again. */
  resetRequestsMs?: number;
  /** Milliseconds until the token allowance is full again. */
  resetTokensMs?: number;
}

/**
 * A model provider: turns a {@link ProviderRequest} into a {@link ProviderResponse} or throws an
 * `LLMBatchError` whose `code` says whether it was the provider's availability or this request's fault.
 *
 * @example
 * ```ts
 * const echo: Provider = {
 *   name: 'echo',
 *   async complete(request) {
 *     return { text: request.messages.at(-1)?.content ?? '', usage: { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0 } };
 *   },
 * };
 * ```
 */
export interface Provider {
  /** Provider name, as in `name:model` model strings (`openai`, `mock`). */
  readonly name: string;
  /** Performs one attempt. Must honour `request.signal`. */
  complete(request: ProviderRequest): Promise<ProviderResponse>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** Options shared by HTTP providers. */
export interface HttpProviderOptions {
  /** Base URL of the API, e.g. `https://api.openai.com/v1`. */
  baseURL?: string;
  /** API key. Never logged, never put in errors. */
  apiKey?: string;
  /** undici dispatcher to send requests with (a `Pool`, `Agent`, or `MockAgent` in tests). @default a keep-alive Agent owned by the provider */
  dispatcher?: Dispatcher;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /**
   * Milliseconds to wait for response headers. A call under a deadline of its own (every call the
   * engine makes: its `timeoutMs`) has none unless set here.
   * @default 60000 for calls without a deadline
   */
  headersTimeoutMs?: number;
  /**
   * Milliseconds allowed between body chunks. A call under a deadline of its own (every call the engine
   * makes) has none unless set here.
   * @default 60000 for calls without a deadline
   */
  bodyTimeoutMs?: number;
  /** Milliseconds to establish a connection (only for the provider's own Agent). @default 10000 */
  connectTimeoutMs?: number;
  /**
   * Most connections the provider's own Agent opens to its host (ignored with `dispatcher`). Set it to
   * the engine's concurrency: undici reuses a keep-alive connection only one event-loop turn after its
   * response ended, so without a limit a busy batch keeps opening new connections (up to about twice
   * the concurrency), each with its own socket buffers. Requests beyond the limit wait for a free one.
   * @default unlimited
   */
  maxConnections?: number;
}
