import type { Usage } from '../types.js';
import type { FakeApi, FakeRequest, MessageSummary } from './fake-request.js';
import type { RateLimitDecision } from './rate-limiter.js';

/** Which limit a rate-limit error is about. */
export type RateLimitKind = 'requests' | 'tokens';

/**
 * What differs between the provider APIs the fake plays: how a request body reads and how replies,
 * errors and rate-limit headers are written. One object per API, shared by every request.
 */
export interface WireFormat {
  /** The API this format plays. */
  readonly api: FakeApi;
  /**
   * Reads the messages of a parsed body, or returns the message the real API sends with its 400 when
   * the body is malformed.
   */
  read(body: Record<string, unknown>): MessageSummary | string;
  /** The output-token cap the body asks for, if any. */
  maxOutputTokens(body: Record<string, unknown>): number | undefined;
  /** The JSON text of a successful reply. */
  successBody(
    request: FakeRequest,
    content: string,
    usage: Usage,
    finishReason: string | undefined,
    createdSeconds: number,
  ): string;
  /** The JSON text of an error reply in the API's own error shape. */
  errorBody(status: number, message: string | undefined, rateLimitKind?: RateLimitKind): string;
  /** Adds the API's rate-limit headers describing `decision` to `headers`. */
  addRateLimitHeaders(headers: Record<string, string>, decision: RateLimitDecision, nowEpochMs: number): void;
  /** Adds the headers the API sends with a 429 to say when to try again. */
  addRetryHeaders(headers: Record<string, string>, retryAfterMs: number): void;
}

/** Reads a non-negative integer field of a body. */
export function integerField(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The message of a 429 from the fake's own rate limiter, worded like the providers'. */
export function rateLimitMessage(
  model: string,
  kind: RateLimitKind,
  limit: number,
  retryAfterMs: number | undefined,
): string {
  const unit = kind === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)';
  const advice =
    retryAfterMs === undefined
      ? 'Request too large: it can never fit this limit.'
      : `Please try again in ${retryAfterMs}ms.`;
  return `Rate limit reached for ${model || 'the model'} on ${unit}: Limit ${limit}. ${advice}`;
}
