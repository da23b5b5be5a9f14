import {
  type APIErrorCode,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  LLMBatchAPIError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from '../errors.js';
import { attemptsOf } from './retrying-fetch.js';

type ErrorClass = new (
  message: string,
  options: ConstructorParameters<typeof LLMBatchAPIError>[1],
) => LLMBatchAPIError;

const classByStatus: Record<number, ErrorClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The class for a status: the matching subclass, `InternalServerError` for 5xx, else the base class. */
function errorClassFor(status: number): ErrorClass {
  return classByStatus[status] ?? (status >= 500 ? InternalServerError : LLMBatchAPIError);
}

/**
 * The typed error for an error response whose body was already parsed (`body` is what openapi-fetch
 * returned as `error`: the server's `{ error: { code, message, requestId, details? } }`, or text).
 *
 * @example
 * ```ts
 * const { data, error, response } = await api.GET('/v1/orgs');
 * if (error !== undefined) throw errorFromResponse(response, error);
 * ```
 */
export function errorFromResponse(response: Response, body: unknown): LLMBatchAPIError {
  const inner = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const code = typeof inner?.code === 'string' ? (inner.code as APIErrorCode) : fallbackCode(response.status);
  const message =
    typeof inner?.message === 'string'
      ? inner.message
      : `${response.status} ${response.statusText || 'error'}${typeof body === 'string' && body !== '' ? `: ${body.slice(0, 200)}` : ''}`;
  const requestId =
    typeof inner?.requestId === 'string'
      ? inner.requestId
      : (response.headers.get('x-request-id') ?? undefined);
  const ErrorType = errorClassFor(response.status);
  return new ErrorType(message, {
    status: response.status,
    code,
    requestId,
    details: isRecord(inner?.details) ? inner.details : undefined,
    headers: response.headers,
    attempts: attemptsOf(response),
  });
}

/** A code for answers without the server's error body (a proxy's 502, say). */
function fallbackCode(status: number): APIErrorCode {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'too-many-attempts';
  if (status >= 500) return 'internal';
  return 'invalid-request';
}

/**
 * Reads the body of an error response (JSON when it parses, else text) and returns the typed error.
 *
 * @example
 * ```ts
 * if (!response.ok) throw await readErrorResponse(response);
 * ```
 */
export async function readErrorResponse(response: Response): Promise<LLMBatchAPIError> {
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text for the message.
  }
  return errorFromResponse(response, body);
}
