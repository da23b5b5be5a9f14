import { APIConnectionError, LLMBatchAPIError } from '../errors.js';
import { parseServerSentEvents, type ServerSentEvent } from './server-sent-events.js';

/**
 * Options of {@link reconnectingEventStream}.
 *
 * @example
 * ```ts
 * const options: EventStreamOptions = { maxReconnects: 10, isLastEvent: (event) => event.event === 'job-end' };
 * ```
 */
export interface EventStreamOptions {
  /** Stops the stream (the iteration then throws the abort reason). */
  signal?: AbortSignal;
  /** Resume after this event id (sent as `Last-Event-ID` on the first connection too). @default none */
  lastEventId?: string;
  /** Reconnections in a row without receiving an event before giving up. @default 5 */
  maxReconnects?: number;
  /** Wait before reconnecting, in milliseconds, until the server sends `retry:`. @default 1000 */
  reconnectDelayMs?: number;
  /**
   * The event after which the stream is complete. Without it, a cleanly closed stream ends the
   * iteration; with it, a stream that closes before this event is resumed. @default none
   */
  isLastEvent?: (event: ServerSentEvent) => boolean;
}

/**
 * What {@link reconnectingEventStream} passes to `open` for each connection.
 *
 * @example
 * ```ts
 * const open = ({ lastEventId, signal }: EventStreamConnection) => client.request(path, { signal });
 * ```
 */
export interface EventStreamConnection {
  /** The id of the last event received, to send as `Last-Event-ID`. */
  lastEventId: string | undefined;
  signal: AbortSignal | undefined;
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Server-sent events as an `AsyncIterable` that survives dropped connections: when the connection
 * fails or breaks mid-stream it reconnects with `Last-Event-ID`, so no event is lost or repeated (as
 * long as the server resumes after that id). A 204 answer ends the stream; an error status that is
 * not retryable (401, 404, …) is thrown.
 *
 * @example
 * ```ts
 * const events = reconnectingEventStream(({ lastEventId, signal }) =>
 *   client.request(`/v1/jobs/${id}/events`, {
 *     headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
 *     signal,
 *   }),
 * );
 * for await (const event of events) console.log(event.event, JSON.parse(event.data));
 * ```
 */
export async function* reconnectingEventStream(
  open: (connection: EventStreamConnection) => Promise<Response>,
  options: EventStreamOptions = {},
): AsyncGenerator<ServerSentEvent> {
  const { signal } = options;
  const maxReconnects = options.maxReconnects ?? 5;
  let delayMs = options.reconnectDelayMs ?? 1000;
  let lastEventId = options.lastEventId;
  let failures = 0;
  for (;;) {
    let lastError: unknown;
    try {
      const response = await open({ lastEventId, signal });
      if (response.status === 204 || response.body === null) return;
      for await (const event of parseServerSentEvents(response.body)) {
        failures = 0;
        if (event.retryMs !== undefined) delayMs = event.retryMs;
        lastEventId = event.id;
        yield event;
        if (options.isLastEvent?.(event) === true) return;
      }
      if (options.isLastEvent === undefined) return;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (LLMBatchAPIError.isInstance(error) && !error.isRetryable) throw error;
      lastError = error;
    }
    failures += 1;
    if (failures > maxReconnects) {
      throw LLMBatchAPIError.isInstance(lastError)
        ? lastError
        : new APIConnectionError(`Event stream failed ${failures} times in a row`, { cause: lastError });
    }
    await sleep(delayMs, signal);
  }
}
