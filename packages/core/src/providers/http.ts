import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { LLMBatchError } from '../errors.js';
import { parseRetryAfter } from '../policies/retry.js';
import type { RateLimitInfo } from './provider.js';

/** What an HTTP provider needs to send one JSON request. */
export interface JsonRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** A JSON response with its headers. */
export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Settings of the shared HTTP sender. */
export interface HttpSenderOptions {
  dispatcher?: Dispatcher;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Provider name for error messages. */
  providerName: string;
  /** Secrets that must never appear in error messages (the API key). */
  secrets: readonly string[];
  /** Reads the provider's rate-limit headers; error responses then carry them as `details.rateLimit`. */
  readRateLimit?: (headers: Record<string, string | string[] | undefined>) => RateLimitInfo | undefined;
}

/** Sends JSON requests over undici and maps every failure to an `LLMBatchError`. */
export interface HttpSender {
  send(request: JsonRequest): Promise<JsonResponse>;
  close(): Promise<void>;
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** Creates the undici-based sender shared by the HTTP providers. */
export function createHttpSender(options: HttpSenderOptions): HttpSender {
  const owned = options.dispatcher === undefined;
  const dispatcher: Dispatcher =
    options.dispatcher ??
    new Agent({
      keepAliveTimeout: 30_000,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    });
  const headersTimeout = options.headersTimeoutMs ?? 60_000;
  const bodyTimeout = options.bodyTimeoutMs ?? 60_000;
  const redact = createRedactor(options.secrets);

  return {
    async send(request: JsonRequest): Promise<JsonResponse> {
      let response: Dispatcher.ResponseData;
      try {
        response = await dispatcher.request({
          origin: request.url.origin,
          path: request.url.pathname + request.url.search,
          method: 'POST',
          headers: request.headers,
          body: request.body,
          signal: request.signal,
          headersTimeout,
          bodyTimeout,
        });
      } catch (error) {
        throw mapTransportError(error, options.providerName, request.signal, redact);
      }
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw mapTransportError(error, options.providerName, request.signal, redact);
      }
      const status = response.statusCode;
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        if (status >= 200 && status < 300) {
          throw new LLMBatchError({
            code: 'invalid-response',
            message: `${options.providerName} returned HTTP ${status} with a body that is not JSON`,
            status,
            isRetryable: true,
            details: { bodyStart: redact(text.slice(0, 200)) },
          });
        }
        body = text;
      }
      if (status >= 200 && status < 300) return { status, headers: response.headers, body };
      const rateLimit = options.readRateLimit?.(response.headers);
      throw mapStatusError(status, response.headers, body, options.providerName, redact, rateLimit);
    },
    async close(): Promise<void> {
      if (owned) await dispatcher.close();
    },
  };
}

function createRedactor(secrets: readonly string[]): (text: string) => string {
  const present = secrets.filter((secret) => secret.length >= 6);
  if (present.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of present) out = out.split(secret).join('[redacted]');
    return out;
  };
}

function mapTransportError(
  error: unknown,
  providerName: string,
  signal: AbortSignal,
  redact: (text: string) => string,
): LLMBatchError {
  if (LLMBatchError.isInstance(error)) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (LLMBatchError.isInstance(reason)) return reason;
    return new LLMBatchError({ code: 'aborted', message: `${providerName} request aborted`, cause: error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = redact(error instanceof Error ? error.message : String(error));
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new LLMBatchError({
      code: 'timeout',
      message: `${providerName} request timed out (${message})`,
      cause: error,
    });
  }
  if (typeof code === 'string' && connectionCodes.has(code)) {
    return new LLMBatchError({
      code: 'connection',
      message: `cannot reach ${providerName}: ${message}`,
      cause: error,
    });
  }
  return new LLMBatchError({
    code: 'connection',
    message: `${providerName} request failed: ${message}`,
    cause: error,
  });
}

function mapStatusError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: unknown,
  providerName: string,
  redact: (text: string) => string,
  rateLimit: RateLimitInfo | undefined,
): LLMBatchError {
  const providerMessage = redact(extractErrorMessage(body)).slice(0, 500);
  const message = `${providerName} answered HTTP ${status}${providerMessage ? `: ${providerMessage}` : ''}`;
  const retryAfterMs = parseRetryAfter(headers, Date.now());
  const details: Record<string, unknown> = { providerMessage };
  if (rateLimit !== undefined) details.rateLimit = rateLimit;
  const common = { status, message, details };
  const withRetryAfter = retryAfterMs === undefined ? common : { ...common, retryAfterMs };
  if (status === 429) return new LLMBatchError({ code: 'rate-limited', ...withRetryAfter });
  if (status >= 500) return new LLMBatchError({ code: 'provider-unavailable', ...withRetryAfter });
  if (status === 408) return new LLMBatchError({ code: 'timeout', ...withRetryAfter });
  if (status === 409) {
    return new LLMBatchError({
      code: 'provider-rejected',
      isRetryable: true,
      isAvailabilityFailure: false,
      ...withRetryAfter,
    });
  }
  return new LLMBatchError({ code: 'provider-rejected', ...common });
}

function extractErrorMessage(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body !== null && typeof body === 'object') {
    const error = (body as { error?: unknown }).error;
    if (typeof error === 'string') return error;
    if (error !== null && typeof error === 'object') {
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    const message = (body as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return '';
}
