import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock } from '../clock.js';
import type {
  FakeProviderControls,
  FakeProviderHandler,
  FakeProviderStats,
} from './fake-provider-controls.js';
import {
  checkHandlerOptions,
  checkLatency,
  type FakeProviderHandlerOptions,
} from './fake-provider-options.js';
import { type FakeLatency, type FakeReply, fakeTokenCount } from './fake-reply.js';
import { type FakeRequest, redactHeaders } from './fake-request.js';
import { openAIFormat } from './openai-format.js';
import { createRateLimiter, type RateLimitDecision } from './rate-limiter.js';
import { type RenderedReply, renderError, renderRateLimited, renderReply } from './render-reply.js';
import { RequestLog } from './request-log.js';
import { routeOrNotFound } from './routes.js';
import type { WireFormat } from './wire-format.js';

/** One request on its way through the handler. */
interface Exchange {
  readonly response: ServerResponse;
  timer: NodeJS.Timeout | undefined;
  closed: boolean;
  answered: boolean;
  dropped: boolean;
}

/** Output tokens counted against the token limit when the body sets no cap. */
const defaultMaxOutputTokens = 16;

const ignore = () => {};

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'then') === 'function';
}

/** The UTF-8 text of a body; decoding once at the end never splits a character across chunks. */
function textOf(chunks: Buffer[]): string {
  const [first] = chunks;
  if (first === undefined) return '';
  return (chunks.length === 1 ? first : Buffer.concat(chunks)).toString('utf8');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the fake provider's request listener: `POST /v1/chat/completions` (OpenAI),
 * `POST /v1/messages` (Anthropic), 404 for anything else. {@link startFakeProvider} is this handler
 * on its own `node:http` server.
 *
 * @example
 * ```ts
 * const handler = createFakeProviderHandler({ respond: () => ({ content: '{"label":"spam"}' }) });
 * http.createServer((request, response) => handler(request, response)).listen(8080, '127.0.0.1');
 * ```
 */
export function createFakeProviderHandler(options: FakeProviderHandlerOptions = {}): FakeProviderHandler {
  checkHandlerOptions(options);
  let latency: FakeLatency = options.latencyMs ?? 0;
  let respond = options.respond;
  const clock = options.clock ?? systemClock;
  const { rateLimit } = options;
  const limiter =
    rateLimit === undefined || (rateLimit.requestsPerMinute ?? rateLimit.tokensPerMinute) === undefined
      ? undefined
      : createRateLimiter(rateLimit, () => clock.now());
  const log = new RequestLog<FakeRequest>(options.logSize ?? 1000);
  const pending = new Set<Exchange>();
  const stats: FakeProviderStats = {
    received: 0,
    answered: 0,
    rateLimited: 0,
    aborted: 0,
    dropped: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  let logged = 0;

  function send(exchange: Exchange, { status, headers, body }: RenderedReply): void {
    if (exchange.closed) return;
    exchange.answered = true;
    stats.answered += 1;
    const { response } = exchange;
    headers['content-length'] = String(Buffer.byteLength(body));
    try {
      response.writeHead(status, headers);
    } catch (error) {
      // A scripted status or header that HTTP cannot carry: say so rather than crash the test process.
      const fallback = renderError(
        openAIFormat,
        500,
        `The fake provider cannot send this reply: ${describe(error)}`,
      );
      response.writeHead(fallback.status, fallback.headers);
      response.end(fallback.body);
      return;
    }
    response.end(body);
  }

  /** Ends the bookkeeping of an exchange once; the connection is gone or about to be. */
  function settle(exchange: Exchange): void {
    if (exchange.closed) return;
    exchange.closed = true;
    pending.delete(exchange);
    stats.inFlight -= 1;
    if (exchange.timer !== undefined) clearTimeout(exchange.timer);
    if (!exchange.answered && !exchange.dropped) stats.aborted += 1;
  }

  function drop(exchange: Exchange): void {
    if (exchange.closed || exchange.answered) return;
    exchange.dropped = true;
    stats.dropped += 1;
    exchange.response.destroy();
    // Settle now rather than on 'close', so the counters are final when `close()` resolves.
    settle(exchange);
  }

  function fail(exchange: Exchange, format: WireFormat, status: number, message: string): void {
    send(exchange, renderError(format, status, message));
  }

  function answer(
    exchange: Exchange,
    format: WireFormat,
    request: FakeRequest,
    decision: RateLimitDecision | undefined,
    reply: FakeReply | undefined,
  ): void {
    exchange.timer = undefined;
    if (reply?.destroy === true) {
      drop(exchange);
      return;
    }
    send(exchange, renderReply(format, request, decision, reply));
  }

  function schedule(
    exchange: Exchange,
    format: WireFormat,
    request: FakeRequest,
    decision: RateLimitDecision | undefined,
    delayMs: number,
    reply: FakeReply | undefined,
  ): void {
    if (exchange.closed || reply?.hang === true) return;
    if (delayMs > 0) {
      exchange.timer = setTimeout(answer, delayMs, exchange, format, request, decision, reply);
    } else {
      answer(exchange, format, request, decision, reply);
    }
  }

  /**
   * Takes the request's cost from the rate limiter (`undefined` when no limit is set); answers 429 and
   * returns `false` when it does not fit.
   */
  function admit(
    exchange: Exchange,
    format: WireFormat,
    request: FakeRequest,
  ): RateLimitDecision | undefined | false {
    if (limiter === undefined) return undefined;
    const maxOutputTokens = format.maxOutputTokens(request.body) ?? defaultMaxOutputTokens;
    const decision = limiter.take(fakeTokenCount(request.promptChars) + maxOutputTokens);
    if (decision.allowed) return decision;
    stats.rateLimited += 1;
    send(exchange, renderRateLimited(format, request, decision));
    return false;
  }

  /** Asks `respond` for the reply (maybe async) and schedules it after the latency. */
  function dispatch(
    exchange: Exchange,
    format: WireFormat,
    request: FakeRequest,
    decision: RateLimitDecision | undefined,
  ): void {
    let delayMs: number;
    let reply: FakeReply | undefined | PromiseLike<FakeReply | undefined>;
    try {
      delayMs = typeof latency === 'number' ? latency : latency(request);
      reply = respond === undefined ? undefined : respond(request);
    } catch (error) {
      fail(exchange, format, 500, `The fake provider's respond or latencyMs threw: ${describe(error)}`);
      return;
    }
    if (!isPromiseLike(reply)) {
      schedule(exchange, format, request, decision, delayMs, reply);
      return;
    }
    reply.then(
      (settled) => schedule(exchange, format, request, decision, delayMs, settled),
      (error: unknown) =>
        fail(exchange, format, 500, `The fake provider's respond threw: ${describe(error)}`),
    );
  }

  /** Handles a fully received body: parse, log, validate, rate-limit, then dispatch. */
  function receive(
    exchange: Exchange,
    format: WireFormat,
    path: string,
    incoming: IncomingMessage,
    text: string,
  ): void {
    if (exchange.closed) return;
    stats.received += 1;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      fail(exchange, format, 400, 'The request body is not a JSON object.');
      return;
    }
    const fields = body as Record<string, unknown>;
    const summary = format.read(fields);
    logged += 1;
    const request: FakeRequest = {
      id: `req_fake_${logged}`,
      n: logged,
      api: format.api,
      path,
      model: typeof fields.model === 'string' ? fields.model : '',
      body: fields,
      headers: redactHeaders(incoming.headers),
      userText: typeof summary === 'string' ? '' : summary.userText,
      promptChars: typeof summary === 'string' ? 0 : summary.promptChars,
      receivedAt: Date.now(),
    };
    log.add(request);
    if (typeof summary === 'string') {
      fail(exchange, format, 400, summary);
      return;
    }
    const decision = admit(exchange, format, request);
    if (decision !== false) dispatch(exchange, format, request, decision);
  }

  function handle(incoming: IncomingMessage, response: ServerResponse): void {
    const route = routeOrNotFound(incoming, response);
    if (route === undefined) return;
    const { format, path } = route;
    const exchange: Exchange = { response, timer: undefined, closed: false, answered: false, dropped: false };
    pending.add(exchange);
    stats.inFlight += 1;
    if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight;
    response.once('close', () => settle(exchange));
    incoming.on('error', ignore);
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => receive(exchange, format, path, incoming, textOf(chunks)));
  }

  const controls: FakeProviderControls = {
    get requests() {
      return stats.received;
    },
    get log() {
      return log.toArray();
    },
    get stats() {
      return { ...stats };
    },
    setLatency(next) {
      checkLatency(next);
      latency = next;
    },
    setRespond(next) {
      respond = next;
    },
    dropPending() {
      for (const exchange of pending) drop(exchange);
    },
  };
  const handler = (incoming: IncomingMessage, response: ServerResponse) => handle(incoming, response);
  // The listener carries the controls as properties, so it can be passed to `createServer` as is.
  return Object.defineProperties(handler, Object.getOwnPropertyDescriptors(controls)) as FakeProviderHandler;
}
