import { messageText, summarizeMessages } from './fake-request.js';
import { integerField, type WireFormat } from './wire-format.js';

const errorTypes: ReadonlyMap<number, string> = new Map([
  [400, 'invalid_request_error'],
  [401, 'authentication_error'],
  [402, 'billing_error'],
  [403, 'permission_error'],
  [404, 'not_found_error'],
  [413, 'request_too_large'],
  [429, 'rate_limit_error'],
  [500, 'api_error'],
  [504, 'timeout_error'],
  [529, 'overloaded_error'],
]);

function errorType(status: number): string {
  return errorTypes.get(status) ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/**
 * Anthropic Messages (`POST /v1/messages`). Like the real API, `usage.input_tokens` leaves out the
 * tokens read from or written to the prompt cache, and a 429 carries `retry-after` in seconds only.
 */
export const anthropicFormat: WireFormat = {
  api: 'anthropic',
  read(body) {
    const messages = body.messages;
    if (!Array.isArray(messages)) return 'messages: Field required';
    if (integerField(body, 'max_tokens') === undefined) return 'max_tokens: Field required';
    if (body.stream === true) return 'the fake provider does not stream: stream must be false or absent';
    const summary = summarizeMessages(messages);
    summary.promptChars += messageText(body.system).length;
    return summary;
  },
  maxOutputTokens(body) {
    return integerField(body, 'max_tokens');
  },
  successBody(request, content, usage, finishReason) {
    return JSON.stringify({
      id: `msg_fake_${request.n}`,
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: [{ type: 'text', text: content }],
      stop_reason: finishReason ?? 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens),
        output_tokens: usage.outputTokens,
        cache_read_input_tokens: usage.cachedInputTokens,
        cache_creation_input_tokens: usage.cacheWriteTokens,
      },
    });
  },
  errorBody(status, message) {
    const type = errorType(status);
    const text = message ?? (status === 529 ? 'Overloaded' : `The fake provider answered ${status}.`);
    return JSON.stringify({ type: 'error', error: { type, message: text } });
  },
  addRateLimitHeaders(headers, decision, nowEpochMs) {
    const { requests, tokens } = decision;
    if (requests !== undefined) {
      headers['anthropic-ratelimit-requests-limit'] = String(requests.limit);
      headers['anthropic-ratelimit-requests-remaining'] = String(requests.remaining);
      headers['anthropic-ratelimit-requests-reset'] = new Date(nowEpochMs + requests.resetMs).toISOString();
    }
    if (tokens !== undefined) {
      headers['anthropic-ratelimit-tokens-limit'] = String(tokens.limit);
      headers['anthropic-ratelimit-tokens-remaining'] = String(tokens.remaining);
      headers['anthropic-ratelimit-tokens-reset'] = new Date(nowEpochMs + tokens.resetMs).toISOString();
    }
  },
  addRetryHeaders(headers, retryAfterMs) {
    headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  },
};
