import { summarizeMessages } from './fake-request.js';
import { integerField, type RateLimitKind, type WireFormat } from './wire-format.js';

/**
 * A duration the way OpenAI writes `x-ratelimit-reset-*` headers (Go's duration format): `17ms`, `1s`,
 * `1.5s`, `6m0s`, `1h0m0s`.
 */
export function formatResetDuration(milliseconds: number): string {
  const ms = Math.max(0, Math.ceil(milliseconds));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const hourPart = hours > 0 ? `${hours}h` : '';
  const minutePart = hours > 0 || minutes > 0 ? `${minutes}m` : '';
  return `${hourPart}${minutePart}${seconds}s`;
}

function errorType(
  status: number,
  rateLimitKind: RateLimitKind | undefined,
): { type: string; code: string | null } {
  if (status === 429) return { type: rateLimitKind ?? 'requests', code: 'rate_limit_exceeded' };
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

/** OpenAI Chat Completions (`POST /v1/chat/completions`), also spoken by most compatible servers. */
export const openAIFormat: WireFormat = {
  api: 'openai',
  read(body) {
    const messages = body.messages;
    if (!Array.isArray(messages)) return "'messages' is a required property and must be an array";
    if (body.stream === true) return "the fake provider does not stream: 'stream' must be false or absent";
    return summarizeMessages(messages);
  },
  maxOutputTokens(body) {
    return integerField(body, 'max_completion_tokens') ?? integerField(body, 'max_tokens');
  },
  successBody(request, content, usage, finishReason, createdSeconds) {
    return JSON.stringify({
      id: `chatcmpl-fake-${request.n}`,
      object: 'chat.completion',
      created: createdSeconds,
      model: request.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason ?? 'stop' }],
      usage: {
        prompt_tokens: usage.inputTokens,
        completion_tokens: usage.outputTokens,
        total_tokens: usage.inputTokens + usage.outputTokens,
        prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
      },
    });
  },
  errorBody(status, message, rateLimitKind) {
    const { type, code } = errorType(status, rateLimitKind);
    return JSON.stringify({
      error: { message: message ?? `The fake provider answered ${status}.`, type, param: null, code },
    });
  },
  addRateLimitHeaders(headers, decision) {
    const { requests, tokens } = decision;
    if (requests !== undefined) {
      headers['x-ratelimit-limit-requests'] = String(requests.limit);
      headers['x-ratelimit-remaining-requests'] = String(requests.remaining);
      headers['x-ratelimit-reset-requests'] = formatResetDuration(requests.resetMs);
    }
    if (tokens !== undefined) {
      headers['x-ratelimit-limit-tokens'] = String(tokens.limit);
      headers['x-ratelimit-remaining-tokens'] = String(tokens.remaining);
      headers['x-ratelimit-reset-tokens'] = formatResetDuration(tokens.resetMs);
    }
  },
  addRetryHeaders(headers, retryAfterMs) {
    headers['retry-after-ms'] = String(retryAfterMs);
    headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  },
};
