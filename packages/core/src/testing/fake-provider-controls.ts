import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeLatency, FakeRespond } from './fake-reply.js';
import type { FakeRequest } from './fake-request.js';

/**
 * Counters of a fake provider, read through `server.stats` (a fresh copy each read).
 *
 * @example
 * ```ts
 * expect(server.stats).toMatchObject({ aborted: 3, inFlight: 0 });
 * ```
 */
export interface FakeProviderStats {
  /** Chat requests whose body arrived in full (the same number as `requests`). */
  received: number;
  /** Replies sent, whatever their status (rate-limit 429s included). */
  answered: number;
  /** Requests refused with a 429 by the `rateLimit` buckets. */
  rateLimited: number;
  /** Requests whose client closed the connection before the reply was sent. */
  aborted: number;
  /** Requests the fake closed without answering: `destroy` replies, and replies pending at `close()`. */
  dropped: number;
  /** Chat requests being received or waiting for their reply right now. */
  inFlight: number;
  /** The highest `inFlight` seen. */
  maxInFlight: number;
}

/**
 * What a test reads and changes on a running fake provider.
 *
 * @example
 * ```ts
 * server.setLatency(0);
 * expect(server.log.at(-1)?.userText).toBe('hello');
 * ```
 */
export interface FakeProviderControls {
  /** Chat requests received so far, failures and 429s included. */
  readonly requests: number;
  /** The latest requests (up to `logSize`), oldest first; a new array each read. */
  readonly log: FakeRequest[];
  /** A snapshot of the counters. */
  readonly stats: FakeProviderStats;
  /** Changes the latency for requests that arrive from now on. */
  setLatency(latency: FakeLatency): void;
  /** Changes how requests that arrive from now on are answered; `undefined` restores the echo reply. */
  setRespond(respond: FakeRespond | undefined): void;
  /** Closes the connection of every request still waiting for its reply (counted as `dropped`). */
  dropPending(): void;
}

/**
 * The fake provider as a plain `node:http` request listener, to mount in a server of your own.
 *
 * @example
 * ```ts
 * const handler = createFakeProviderHandler({ latencyMs: 10 });
 * const server = http.createServer(handler).listen(0, '127.0.0.1');
 * ```
 */
export interface FakeProviderHandler extends FakeProviderControls {
  (request: IncomingMessage, response: ServerResponse): void;
}
