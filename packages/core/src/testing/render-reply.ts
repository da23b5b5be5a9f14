import type { Usage } from '../types.js';
import { echoContent, type FakeReply, fakeTokenCount } from './fake-reply.js';
import type { FakeRequest } from './fake-request.js';
import type { RateLimitDecision } from './rate-limiter.js';
import { rateLimitMessage, type WireFormat } from './wire-format.js';

/** A reply ready to write: status, headers (without `content-length`) and body text. */
export interface RenderedReply {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Record<string, string>;
  /** Response body. */
  body: string;
}

function usageOf(request: FakeRequest, content: string, override: Partial<Usage> | undefined): Usage {
  return {
    inputTokens: override?.inputTokens ?? fakeTokenCount(request.promptChars),
    outputTokens: override?.outputTokens ?? fakeTokenCount(content.length),
    cachedInputTokens: override?.cachedInputTokens ?? 0,
    cacheWriteTokens: override?.cacheWriteTokens ?? 0,
  };
}

function baseHeaders(
  format: WireFormat,
  request: FakeRequest,
  decision: RateLimitDecision | undefined,
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': request.id };
  if (decision !== undefined) format.addRateLimitHeaders(headers, decision, Date.now());
  return headers;
}

/**
 * Renders the reply to a request: the echo by default, each field of `reply` changing one part, in
 * the API's own shape. `decision` adds rate-limit headers when a limit is set.
 */
export function renderReply(
  format: WireFormat,
  request: FakeRequest,
  decision: RateLimitDecision | undefined,
  reply: FakeReply | undefined,
): RenderedReply {
  const status = reply?.status ?? 200;
  const headers = baseHeaders(format, request, decision);
  if (reply?.headers !== undefined) Object.assign(headers, reply.headers);
  let body: string;
  if (reply?.body !== undefined) {
    body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  } else if (status >= 400) {
    body = format.errorBody(status, reply?.content);
  } else {
    const content = reply?.content ?? echoContent(request.userText);
    const usage = usageOf(request, content, reply?.usage);
    body = format.successBody(request, content, usage, reply?.finishReason, Math.floor(Date.now() / 1000));
  }
  return { status, headers, body };
}

/** Renders the 429 for a request the rate limiter refused, with the API's retry headers. */
export function renderRateLimited(
  format: WireFormat,
  request: FakeRequest,
  decision: RateLimitDecision,
): RenderedReply {
  const kind = decision.exceeded ?? 'requests';
  const limit = (kind === 'tokens' ? decision.tokens?.limit : decision.requests?.limit) ?? 0;
  const headers = baseHeaders(format, request, decision);
  if (decision.retryAfterMs !== undefined) format.addRetryHeaders(headers, decision.retryAfterMs);
  const message = rateLimitMessage(request.model, kind, limit, decision.retryAfterMs);
  return { status: 429, headers, body: format.errorBody(429, message, kind) };
}

/** Renders an error the fake itself raises (malformed body, a throwing `respond`). */
export function renderError(format: WireFormat, status: number, message: string): RenderedReply {
  return { status, headers: { 'content-type': 'application/json' }, body: format.errorBody(status, message) };
}
