import type { RateLimitInfo } from './provider.js';

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function count(headers: Headers, name: string): number | undefined {
  const value = header(headers, name);
  if (value === undefined) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function msUntil(headers: Headers, name: string, now: number): number | undefined {
  const value = header(headers, name);
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Reads Anthropic's `anthropic-ratelimit-*` headers: requests, and tokens (the combined `tokens-*`
 * headers, else the `input-tokens-*` ones). Resets are RFC 3339 times, returned as milliseconds from
 * `now`.
 *
 * @example
 * ```ts
 * readAnthropicRateLimitHeaders({
 *   'anthropic-ratelimit-requests-limit': '50',
 *   'anthropic-ratelimit-requests-remaining': '49',
 *   'anthropic-ratelimit-requests-reset': new Date(Date.now() + 1200).toISOString(),
 * }); // { limitRequests: 50, remainingRequests: 49, resetRequestsMs: 1200 }
 * ```
 */
export function readAnthropicRateLimitHeaders(
  headers: Headers,
  now: number = Date.now(),
): RateLimitInfo | undefined {
  const tokens =
    header(headers, 'anthropic-ratelimit-tokens-remaining') === undefined
      ? 'anthropic-ratelimit-input-tokens'
      : 'anthropic-ratelimit-tokens';
  const fields: Array<[keyof RateLimitInfo, number | undefined]> = [
    ['limitRequests', count(headers, 'anthropic-ratelimit-requests-limit')],
    ['remainingRequests', count(headers, 'anthropic-ratelimit-requests-remaining')],
    ['resetRequestsMs', msUntil(headers, 'anthropic-ratelimit-requests-reset', now)],
    ['limitTokens', count(headers, `${tokens}-limit`)],
    ['remainingTokens', count(headers, `${tokens}-remaining`)],
    ['resetTokensMs', msUntil(headers, `${tokens}-reset`, now)],
  ];
  let info: RateLimitInfo | undefined;
  for (const [field, value] of fields) {
    if (value === undefined) continue;
    info ??= {};
    info[field] = value;
  }
  return info;
}
