import { createServer } from 'node:http';
import type { FakeProviderControls } from './fake-provider-controls.js';
import { createFakeProviderHandler } from './fake-provider-handler.js';
import { checkServerOptions, type FakeProviderOptions } from './fake-provider-options.js';

/**
 * A running fake LLM provider. Point an OpenAI-compatible client at `${url}/v1` or an Anthropic client
 * at `url`.
 *
 * @example
 * ```ts
 * await using server = await startFakeProvider();
 * const provider = createOpenAIProvider({ baseURL: `${server.url}/v1`, apiKey: 'test' });
 * ```
 */
export interface FakeProvider extends FakeProviderControls {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The port the server listens on. */
  readonly port: number;
  /** Stops listening and destroys every connection, idle keep-alive ones and pending replies included. Safe to call twice. */
  close(): Promise<void>;
  /** Same as {@link FakeProvider.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a fake LLM provider on `node:http` that answers like OpenAI Chat Completions
 * (`POST /v1/chat/completions`) and Anthropic Messages (`POST /v1/messages`): a deterministic echo of
 * the last user message by default, with latency, scripted replies, failures and real rate limits on
 * demand. Keep-alive is on; a request costs a JSON parse and a small JSON write, so one process
 * serves tens of thousands of requests per second.
 *
 * @example
 * ```ts
 * const server = await startFakeProvider({ latencyMs: 20, rateLimit: { requestsPerMinute: 600 } });
 * try {
 *   // run your pipeline against `${server.url}/v1`
 *   console.log(server.stats.answered);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  checkServerOptions(options);
  const { port = 0, host = '127.0.0.1', ...handlerOptions } = options;
  const handler = createFakeProviderHandler(handlerOptions);
  const server = createServer(handler);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      handler.dropPending();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url,
    port: boundPort,
    get requests() {
      return handler.requests;
    },
    get log() {
      return handler.log;
    },
    get stats() {
      return handler.stats;
    },
    setLatency: (latency) => handler.setLatency(latency),
    setRespond: (respond) => handler.setRespond(respond),
    dropPending: () => handler.dropPending(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
