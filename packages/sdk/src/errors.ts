import type { components } from './generated/openapi.js';

const marker = Symbol.for('llmbatch.sdk.api-error');

/**
 * The `code` the server sends in every error body (`connection-error` and `timeout` come from the SDK).
 *
 * @example
 * ```ts
 * if (error.code === 'email-not-verified') await client.auth.resendVerificationEmail({ email });
 * ```
 */
export type APIErrorCode =
  | components['schemas']['ErrorResponse']['error']['code']
  | 'connection-error'
  | 'timeout';

/**
 * Options of {@link LLMBatchAPIError}.
 *
 * @example
 * ```ts
 * new NotFoundError('No such key', { status: 404, code: 'not-found', requestId: 'req-1' });
 * ```
 */
export interface APIErrorOptions {
  /** HTTP status, or `undefined` when no response arrived. */
  status?: number | undefined;
  /** The server's error code. */
  code: APIErrorCode;
  /** The server's request id (also in the `x-request-id` header). */
  requestId?: string | undefined;
  /** Extra fields the server sent, e.g. validation issues. */
  details?: Record<string, unknown> | undefined;
  /** The response headers. */
  headers?: Headers | undefined;
  /** The underlying error. */
  cause?: unknown;
  /** How many times the request was sent, retries included. @default 1 */
  attempts?: number | undefined;
}

/**
 * Every failure the SDK reports: an HTTP error answer or a request that got no answer. Subclasses say
 * which (`NotFoundError`, `RateLimitError`, …); `isRetryable` says whether trying again may help.
 *
 * @example
 * ```ts
 * try {
 *   await client.providerKeys.get(id);
 * } catch (error) {
 *   if (LLMBatchAPIError.isInstance(error)) console.log(error.status, error.code, error.requestId);
 * }
 * ```
 */
export class LLMBatchAPIError extends Error {
  /** HTTP status, or `undefined` when no response arrived. */
  readonly status: number | undefined;
  /** The server's error code (`not-found`, `invalid-request`, …). */
  readonly code: APIErrorCode;
  /** The server's request id, for support requests and log searches. */
  readonly requestId: string | undefined;
  /** Extra fields the server sent. */
  readonly details: Record<string, unknown> | undefined;
  /** The response headers, when there was a response. */
  readonly headers: Headers | undefined;
  /** How many times the request was sent before this error was final (1 when it was not retried). */
  readonly attempts: number;

  constructor(message: string, options: APIErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
    this.code = options.code;
    this.requestId = options.requestId;
    this.details = options.details;
    this.headers = options.headers;
    this.attempts = options.attempts ?? 1;
    // A symbol registered globally, so a copy of this class from another install still recognises it.
    Object.defineProperty(this, marker, { value: true });
  }

  /** Whether trying again may succeed: connection errors, timeouts, 408, 409, 429 and 5xx. */
  get isRetryable(): boolean {
    if (this.status === undefined) return true;
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }

  /**
   * Whether `value` is an SDK error, also across duplicate installs of the package.
   *
   * @example
   * ```ts
   * if (LLMBatchAPIError.isInstance(error) && error.code === 'conflict') retryLater();
   * ```
   */
  static isInstance(value: unknown): value is LLMBatchAPIError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** 400: the request is malformed. @example `if (error instanceof BadRequestError) console.log(error.details);` */
export class BadRequestError extends LLMBatchAPIError {}
/** 401: missing, invalid or expired credentials. @example `if (error instanceof AuthenticationError) await logIn();` */
export class AuthenticationError extends LLMBatchAPIError {}
/** 403: authenticated but not allowed. @example `if (error instanceof PermissionDeniedError) showForbidden();` */
export class PermissionDeniedError extends LLMBatchAPIError {}
/** 404: no such resource (or not visible to you). @example `if (error instanceof NotFoundError) return null;` */
export class NotFoundError extends LLMBatchAPIError {}
/** 409: conflicts with the current state. @example `if (error instanceof ConflictError) await reload();` */
export class ConflictError extends LLMBatchAPIError {}
/** 422: well-formed but not processable. @example `if (error instanceof UnprocessableEntityError) console.log(error.details);` */
export class UnprocessableEntityError extends LLMBatchAPIError {}
/** 429: too many requests; see `retryAfterMs`. @example `if (error instanceof RateLimitError) await sleep(error.retryAfterMs ?? 1000);` */
export class RateLimitError extends LLMBatchAPIError {
  /** How long the server asked to wait, from `Retry-After`, if it said. */
  get retryAfterMs(): number | undefined {
    return this.headers === undefined ? undefined : retryAfterMs(this.headers);
  }
}
/** 5xx: the server failed. @example `if (error instanceof InternalServerError) report(error.requestId);` */
export class InternalServerError extends LLMBatchAPIError {}
/** No response: DNS, refused connection, reset, … @example `if (error instanceof APIConnectionError) console.log(error.cause);` */
export class APIConnectionError extends LLMBatchAPIError {
  constructor(message: string, options: { cause?: unknown; attempts?: number } = {}) {
    super(message, { code: 'connection-error', cause: options.cause, attempts: options.attempts });
  }
}
/** No response within `timeoutMs`. @example `if (error instanceof APITimeoutError) console.log('slow server');` */
export class APITimeoutError extends LLMBatchAPIError {
  constructor(message: string, options: { cause?: unknown; attempts?: number } = {}) {
    super(message, { code: 'timeout', cause: options.cause, attempts: options.attempts });
  }
}

/**
 * The wait a response asks for in `retry-after-ms` or `Retry-After` (seconds or an HTTP date), if any.
 *
 * @example
 * ```ts
 * retryAfterMs(new Headers({ 'retry-after': '2' })); // 2000
 * ```
 */
export function retryAfterMs(headers: Headers): number | undefined {
  const milliseconds = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
