import { APIConnectionError, APITimeoutError, retryAfterMs } from '../errors.js';

/**
 * A `fetch` that takes a `Request` (the global `fetch` is one).
 *
 * @example
 * ```ts
 * const logged: FetchFunction = (request) => (console.log(request.url), fetch(request));
 * ```
 */
export type FetchFunction = (request: Request) => Promise<Response>;

/**
 * The fetch {@link createRetryingFetch} returns. `rebuild`, when given, makes the request anew for
 * each retry (e.g. from a `Blob`), so its body need not be kept in memory for a second attempt.
 *
 * @example
 * ```ts
 * const response = await send(new Request(url, { method: 'PUT', body: blob }), () => new Request(url, { method: 'PUT', body: blob }));
 * ```
 */
export type RetryingFetch = (request: Request, rebuild?: () => Request) => Promise<Response>;

/**
 * Options of {@link createRetryingFetch}.
 *
 * @example
 * ```ts
 * const options: RetryingFetchOptions = { fetch, timeoutMs: 10_000, maxRetries: 2, initialRetryDelayMs: 500, maxRetryDelayMs: 8000 };
 * ```
 */
export interface RetryingFetchOptions {
  /** The fetch that sends each attempt. */
  fetch: FetchFunction;
  /** Time to wait for response headers, per attempt, in milliseconds. */
  timeoutMs: number;
  /** Attempts after the first for retryable failures. */
  maxRetries: number;
  /** Backoff before the first retry, doubled each time, with up to 25% jitter taken off. */
  initialRetryDelayMs: number;
  /** Longest backoff, and longest `Retry-After` honoured, in milliseconds. */
  maxRetryDelayMs: number;
}

/** How many times each final response's request was sent; read by {@link attemptsOf}. */
const attemptCounts = new WeakMap<Response, number>();

/**
 * How many times the request behind `response` was sent by a {@link createRetryingFetch} fetch
 * (1 for a response that did not come through one).
 *
 * @example
 * ```ts
 * const response = await send(new Request(url));
 * if (!response.ok) console.log(`failed after ${attemptsOf(response)} attempts`);
 * ```
 */
export function attemptsOf(response: Response): number {
  return attemptCounts.get(response) ?? 1;
}

const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const longestRetryAfterMs = 60_000;

/**
 * Whether the request can be sent twice without a second effect: idempotent methods, or a POST/PATCH
 * that carries an `Idempotency-Key` (the server answers a repeat with the first result).
 *
 * @example
 * ```ts
 * canRetry(new Request('https://api.example/v1/orgs', { method: 'POST' })); // false
 * ```
 */
export function canRetry(request: Request): boolean {
  return idempotentMethods.has(request.method.toUpperCase()) || request.headers.has('idempotency-key');
}

/** Whether a status is worth another attempt: 408, 409, 429 and 5xx. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function backoffMs(retry: number, options: RetryingFetchOptions): number {
  const delay = Math.min(options.initialRetryDelayMs * 2 ** retry, options.maxRetryDelayMs);
  return delay * (1 - Math.random() * 0.25);
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wraps `fetch` with a per-attempt timeout and retries: connection errors, timeouts, 408/409/429/5xx,
 * waiting `Retry-After` when the server sends it, else exponential backoff with jitter. A request that
 * is not safe to repeat ({@link canRetry}) is sent once. Network failures become `APIConnectionError`
 * or `APITimeoutError`; HTTP errors are returned as responses (openapi-fetch reads their bodies).
 * Either way the attempt count travels along: on the error (`attempts`), or via {@link attemptsOf}.
 *
 * @example
 * ```ts
 * const send = createRetryingFetch({ fetch, timeoutMs: 60_000, maxRetries: 2, initialRetryDelayMs: 500, maxRetryDelayMs: 8000 });
 * const response = await send(new Request('https://api.example/v1/orgs'));
 * ```
 */
export function createRetryingFetch(options: RetryingFetchOptions): RetryingFetch {
  return async (request, rebuild) => {
    const maxRetries = canRetry(request) ? options.maxRetries : 0;
    for (let retry = 0; ; retry += 1) {
      const last = retry >= maxRetries;
      // The body can be read once; keep the original intact while another attempt may follow
      // (a clone keeps every byte it reads for the original: rebuilding avoids that).
      const attempt =
        rebuild === undefined ? (last ? request : request.clone()) : retry === 0 ? request : rebuild();
      let response: Response;
      try {
        response = await sendOnce(attempt, options, retry + 1);
      } catch (error) {
        if (request.signal.aborted || last) throw error;
        await sleep(backoffMs(retry, options), request.signal);
        continue;
      }
      if (last || !retryableStatus(response.status)) {
        attemptCounts.set(response, retry + 1);
        return response;
      }
      await response.body?.cancel().catch(() => undefined);
      const asked = retryAfterMs(response.headers);
      const wait = asked === undefined ? backoffMs(retry, options) : Math.min(asked, longestRetryAfterMs);
      await sleep(wait, request.signal);
    }
  };
}

async function sendOnce(request: Request, options: RetryingFetchOptions, attempt: number): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () =>
      timeout.abort(new APITimeoutError(`No response within ${options.timeoutMs} ms`, { attempts: attempt })),
    options.timeoutMs,
  );
  const signal = AbortSignal.any([request.signal, timeout.signal]);
  // `duplex` lets a streamed body through (Node's fetch requires it; browsers ignore it).
  const init: RequestInit & { duplex?: 'half' } = { signal };
  if (request.body !== null) init.duplex = 'half';
  try {
    return await options.fetch(new Request(request, init));
  } catch (error) {
    if (request.signal.aborted) throw request.signal.reason;
    if (timeout.signal.aborted) throw timeout.signal.reason;
    throw new APIConnectionError(`Connection to ${new URL(request.url).origin} failed`, {
      cause: error,
      attempts: attempt,
    });
  } finally {
    clearTimeout(timer);
  }
}
