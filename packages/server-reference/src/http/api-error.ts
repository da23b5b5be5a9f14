const marker = Symbol.for('llmbatch.server.api-error');

/**
 * Every error code the HTTP API answers with, and its HTTP status.
 *
 * @example
 * ```ts
 * if (body.error.code === 'too-many-attempts') await sleep(Number(response.headers.get('retry-after')) * 1000);
 * ```
 */
export const apiErrorStatus = {
  'invalid-request': 400,
  'invalid-token': 400,
  unauthenticated: 401,
  'invalid-credentials': 401,
  'token-expired': 401,
  'refresh-token-reused': 401,
  'email-not-verified': 403,
  forbidden: 403,
  suspended: 403,
  'org-required': 400,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'too-many-attempts': 429,
  internal: 500,
  'not-ready': 503,
} as const;

/** The machine-readable kind of an API failure. */
export type ApiErrorCode = keyof typeof apiErrorStatus;

/** Options accepted by {@link ApiError}. */
export interface ApiErrorOptions {
  /** The machine-readable kind of failure; sets the HTTP status. */
  code: ApiErrorCode;
  /** What went wrong, for people. Never contains secrets, stack traces or file paths. */
  message: string;
  /** Structured facts safe to show the caller (field names, limits). */
  details?: Record<string, unknown>;
  /** Seconds the caller should wait (sent as `Retry-After`). */
  retryAfterSeconds?: number;
  /** The underlying error; logged, never sent. */
  cause?: unknown;
}

/**
 * An error the API answers with `{ "error": { code, message, requestId, details? } }`.
 *
 * @example
 * ```ts
 * throw new ApiError({ code: 'not-found', message: 'No such provider key' });
 * ```
 */
export class ApiError extends Error {
  readonly [marker] = true;
  /** The machine-readable kind of failure. */
  readonly code: ApiErrorCode;
  /** The HTTP status answered. */
  readonly statusCode: number;
  /** Structured facts safe to show the caller. */
  readonly details: Record<string, unknown> | undefined;
  /** Seconds the caller should wait, if any. */
  readonly retryAfterSeconds: number | undefined;

  constructor(options: ApiErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = options.code;
    this.statusCode = apiErrorStatus[options.code];
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /**
   * True when `value` is an {@link ApiError}, even from another copy of this package.
   *
   * @example
   * ```ts
   * if (ApiError.isInstance(error) && error.code === 'not-found') return undefined;
   * ```
   */
  static isInstance(value: unknown): value is ApiError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/**
 * The standard 404 for a resource that does not exist or belongs to another organisation; the two
 * are indistinguishable on purpose.
 *
 * @example
 * ```ts
 * const key = await scope.findOne('provider_keys', { id });
 * if (key === undefined) throw notFound('provider key');
 * ```
 */
export function notFound(what: string): ApiError {
  return new ApiError({ code: 'not-found', message: `No such ${what}` });
}

/**
 * The standard 403 for an authenticated caller whose role does not allow the action.
 *
 * @example
 * ```ts
 * if (!allows(role, 'provider-keys:write')) throw forbidden('provider-keys:write');
 * ```
 */
export function forbidden(permission: string): ApiError {
  return new ApiError({
    code: 'forbidden',
    message: 'Your role does not allow this action',
    details: { permission },
  });
}
