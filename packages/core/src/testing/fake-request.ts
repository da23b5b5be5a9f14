import type { IncomingHttpHeaders } from 'node:http';

/**
 * Which provider API a request came in through: `openai` for `POST /v1/chat/completions`,
 * `anthropic` for `POST /v1/messages`.
 *
 * @example
 * ```ts
 * const api: FakeApi = request.api;
 * ```
 */
export type FakeApi = 'openai' | 'anthropic';

/**
 * One chat request as the fake provider received it. Handed to `latencyMs` and `respond`, and kept in
 * `server.log`.
 *
 * @example
 * ```ts
 * const server = await startFakeProvider({
 *   respond: (request) => (request.userText.includes('fail') ? { status: 500 } : undefined),
 * });
 * ```
 */
export interface FakeRequest {
  /** Request id, also sent back in the `x-request-id` response header (`req_fake_<n>`). */
  id: string;
  /** 1-based position of this request among the chat requests the server received. */
  n: number;
  /** The API the request used. */
  api: FakeApi;
  /** URL path, e.g. `/v1/chat/completions`. */
  path: string;
  /** The `model` field of the body (empty string when absent). */
  model: string;
  /** The parsed JSON body, as sent. */
  body: Record<string, unknown>;
  /**
   * Request headers with secrets replaced: `authorization` becomes `Bearer ***`, `x-api-key` and
   * `api-key` become `***`.
   */
  headers: IncomingHttpHeaders;
  /** Text of the last `user` message (text parts joined with a newline). */
  userText: string;
  /** Characters of prompt text: every message plus the Anthropic `system` field. */
  promptChars: number;
  /** When the body was fully received, in milliseconds since the epoch. */
  receivedAt: number;
}

/** Header names whose values never reach the log. */
const secretHeaders = ['x-api-key', 'api-key'] as const;

/**
 * A copy of `headers` with credentials replaced, so logs and test output never show an API key.
 */
export function redactHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy: IncomingHttpHeaders = { ...headers };
  if (copy.authorization !== undefined) copy.authorization = 'Bearer ***';
  for (const name of secretHeaders) {
    if (copy[name] !== undefined) copy[name] = '***';
  }
  return copy;
}

/**
 * The text of a message `content`: a string as is, or the `text` of every text part of an array
 * (OpenAI content parts and Anthropic content blocks have the same `{ type: 'text', text }` shape).
 */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  let first = true;
  for (const part of content) {
    if (typeof part !== 'object' || part === null) continue;
    const value = (part as { text?: unknown }).text;
    if (typeof value !== 'string') continue;
    text = first ? value : `${text}\n${value}`;
    first = false;
  }
  return text;
}

/** What the fake needs from a list of chat messages: the last user text and the prompt size. */
export interface MessageSummary {
  /** Text of the last `user` message. */
  userText: string;
  /** Characters of all message texts. */
  promptChars: number;
}

/** Reads the last user text and counts prompt characters in one pass over `messages`. */
export function summarizeMessages(messages: readonly unknown[]): MessageSummary {
  let userText = '';
  let promptChars = 0;
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    const text = messageText(content);
    promptChars += text.length;
    if (role === 'user') userText = text;
  }
  return { userText, promptChars };
}
