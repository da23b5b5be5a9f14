import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { LLMBatchError } from '../errors.js';
import {
  hasDeadline,
  listenForAbort,
  type SignalListener,
  stopListening,
} from '../internal/abort-fan-out.js';
import { parseRetryAfter } from '../policies/retry.js';
import type { RateLimitInfo } from './provider.js';

/** What an HTTP provider needs to send one JSON request to its endpoint. */
export interface JsonRequest {
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
  /** The endpoint every request is POSTed to. */
  url: URL;
  dispatcher?: Dispatcher;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Connections per origin of the sender's own Agent. @default unlimited */
  maxConnections?: number;
  /** Provider name for error messages. */
  providerName: string;
  /** Secrets that must never appear in error messages (the API key). */
  secrets: readonly string[];
  /** Reads the provider's rate-limit headers; error responses then carry them as `details.rateLimit`. */
  readRateLimit?: (headers: Record<string, string | string[] | undefined>) => RateLimitInfo | undefined;
}

/** Sends JSON requests over undici and maps every failure to an `LLMBatchError`. */
export interface HttpSender {
  /**
   * POSTs `request` and resolves with what `read` makes of a 2xx response (`read` runs in the same
   * async frame, so a provider needs none of its own per call); any other status rejects.
   */
  send<T>(request: JsonRequest, read: (response: JsonResponse) => T): Promise<T>;
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
      ...(options.maxConnections === undefined ? {} : { connections: options.maxConnections }),
    });
  const headersTimeout = options.headersTimeoutMs ?? 60_000;
  const bodyTimeout = options.bodyTimeoutMs ?? 60_000;
  // Under a deadline of its own (the engine's per-attempt timeout, or the timeout policy), a request
  // needs no default header and body timeouts: they would only cut an attempt the caller allowed to
  // take longer (a completion sends its headers when it is done), and cost undici a timer per request.
  // Timeouts the caller set explicitly always apply.
  const boundedHeadersTimeout = options.headersTimeoutMs ?? 0;
  const boundedBodyTimeout = options.bodyTimeoutMs ?? 0;
  const redact = createRedactor(options.secrets);
  // Computed once: URL's getters build new strings on every read.
  const origin = options.url.origin;
  const path = options.url.pathname + options.url.search;

  const context: ExchangeContext = {
    providerName: options.providerName,
    redact,
    readRateLimit: options.readRateLimit,
  };

  return {
    send<T>(request: JsonRequest, read: (response: JsonResponse) => T): Promise<T> {
      const { signal } = request;
      if (signal.aborted)
        return Promise.reject(mapTransportError(undefined, context.providerName, signal, redact));
      const bounded = hasDeadline(signal);
      return new Promise<T>((resolve, reject) => {
        const exchange = new JsonExchange(context, signal, read, resolve, reject);
        try {
          dispatcher.dispatch(
            {
              origin,
              path,
              method: 'POST',
              headers: request.headers,
              body: request.body,
              headersTimeout: bounded ? boundedHeadersTimeout : headersTimeout,
              bodyTimeout: bounded ? boundedBodyTimeout : bodyTimeout,
            },
            exchange,
          );
        } catch (error) {
          exchange.onResponseError(undefined, error);
        }
      });
    },
    async close(): Promise<void> {
      if (owned) await dispatcher.close();
    },
  };
}

interface ExchangeContext {
  providerName: string;
  redact: (text: string) => string;
  readRateLimit: HttpSenderOptions['readRateLimit'];
}

/**
 * One request and its response, as an undici dispatch handler: the body is collected as buffers and
 * decoded once at the end. This is what `dispatcher.request()` does through a readable stream, a body
 * mixin and several promises per response; a plain handler does the same work with a fraction of the
 * objects, which matters at thousands of requests a second. It is also the abort listener of the
 * caller's signal (`handleEvent`), so cancelling costs no closure.
 */
class JsonExchange<T> implements Dispatcher.DispatchHandler, SignalListener {
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  #chunks: Buffer[] = [];
  #settled = false;

  constructor(
    private readonly context: ExchangeContext,
    private readonly signal: AbortSignal,
    private readonly read: (response: JsonResponse) => T,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    listenForAbort(signal, this);
  }

  /** The caller's signal aborted: abort the request (or, before it started, as soon as it starts). */
  handleAbort(): void {
    this.#controller?.abort(this.signal.reason);
  }

  /** The same, as an EventTarget listener (signals that are not the engine's own). */
  handleEvent(): void {
    this.handleAbort();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.#finish()) return;
    try {
      this.resolve(this.#interpret());
    } catch (error) {
      this.reject(error);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: unknown): void {
    if (!this.#finish()) return;
    this.reject(mapTransportError(error, this.context.providerName, this.signal, this.context.redact));
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    stopListening(this.signal, this);
    return true;
  }

  /** Reads the collected body: `read`'s value for 2xx, an LLMBatchError to throw otherwise. */
  #interpret(): T {
    const { providerName, redact } = this.context;
    const status = this.#status;
    const headers = this.#headers;
    const text = decodeUtf8(this.#chunks);
    this.#chunks = [];
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      if (status >= 200 && status < 300) {
        throw new LLMBatchError({
          code: 'invalid-response',
          message: `${providerName} returned HTTP ${status} with a body that is not JSON`,
          status,
          isRetryable: true,
          details: { bodyStart: redact(text.slice(0, 200)) },
        });
      }
      body = text;
    }
    if (status >= 200 && status < 300) return this.read({ status, headers, body });
    const rateLimit = this.context.readRateLimit?.(headers);
    throw mapStatusError(status, headers, body, providerName, redact, rateLimit);
  }
}

/** The body as text, without a UTF-8 byte order mark (as undici's `body.text()` reads it). */
function decodeUtf8(chunks: readonly Buffer[]): string {
  if (chunks.length === 0) return '';
  const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.toString('utf8', start);
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
