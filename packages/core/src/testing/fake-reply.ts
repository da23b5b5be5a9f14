import type { Usage } from '../types.js';
import type { FakeRequest } from './fake-request.js';

/**
 * How the fake provider answers one request. Every field is optional: `{}` (or returning `undefined`
 * from `respond`) gives the default echo reply, and each field changes one part of it.
 *
 * @example
 * ```ts
 * const reply: FakeReply = { status: 503, headers: { 'retry-after-ms': '20' } };
 * ```
 */
export interface FakeReply {
  /**
   * HTTP status. From 400 up the body is the API's error shape (`overloaded_error` for 529 on the
   * Anthropic route) with `content` as its message.
   * @default 200
   */
  status?: number;
  /** Extra response headers; they override the default and rate-limit headers of the same name. */
  headers?: Record<string, string>;
  /**
   * The assistant's text (or the error message when `status` >= 400).
   * @default `{"echo":<last user text>,"length":<its length>}` as a JSON string
   */
  content?: string;
  /**
   * Token counts to report instead of the computed ones (`ceil(characters / 4)`, no cached tokens);
   * missing fields keep the computed value. In llmbatch terms: `inputTokens` includes cached tokens.
   * The Anthropic route reports `input_tokens` without them, as the real API does.
   */
  usage?: Partial<Usage>;
  /**
   * `finish_reason` (OpenAI) or `stop_reason` (Anthropic), verbatim.
   * @default 'stop' for OpenAI, 'end_turn' for Anthropic
   */
  finishReason?: string;
  /**
   * The whole response body, replacing the generated one: a string is sent verbatim (use it to send
   * invalid JSON), anything else as JSON. `status` and `headers` still apply.
   */
  body?: unknown;
  /** Never answer; the request stays pending until the client gives up or the server closes. */
  hang?: boolean;
  /** Close the connection without any response (after the latency), like a crashed upstream. */
  destroy?: boolean;
}

/**
 * Decides the reply to one request. Return `undefined` for the default echo reply. It is called when
 * the request arrives, before the latency, and may be async.
 *
 * @example
 * ```ts
 * const failThirdRequest: FakeRespond = (request) => (request.n === 3 ? { status: 500 } : undefined);
 * ```
 */
export type FakeRespond = (request: FakeRequest) => FakeReply | undefined | Promise<FakeReply | undefined>;

/**
 * Delay before the reply in milliseconds: a constant or a function of the request.
 *
 * @example
 * ```ts
 * const slowForLongPrompts: FakeLatency = (request) => request.promptChars / 10;
 * ```
 */
export type FakeLatency = number | ((request: FakeRequest) => number);

/**
 * The default assistant text: the last user message echoed back as a small JSON object, so tests can
 * check that each result belongs to its input.
 *
 * @example
 * ```ts
 * echoContent('hi'); // '{"echo":"hi","length":2}'
 * ```
 */
export function echoContent(userText: string): string {
  return JSON.stringify({ echo: userText, length: userText.length });
}

/**
 * Tokens the fake provider counts for `characters` of text: one per four characters, rounded up. It
 * reports `fakeTokenCount(prompt characters)` input and `fakeTokenCount(content.length)` output tokens.
 *
 * @example
 * ```ts
 * expect(result.usage.outputTokens).toBe(fakeTokenCount(result.raw?.length ?? 0));
 * ```
 */
export function fakeTokenCount(characters: number): number {
  return Math.ceil(characters / 4);
}
