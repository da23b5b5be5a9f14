import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** The base URL the unit tests send to; msw answers, nothing leaves the process. */
export const baseUrl = 'http://127.0.0.1:4010';

/**
 * An msw server intercepting global `fetch` for one test file, failing on any request no handler
 * answers; handlers are reset after each test.
 */
export function useMockApi(): ReturnType<typeof setupServer> {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** The server's error body. */
export function errorBody(
  code: string,
  message: string,
  requestId: string,
  details?: Record<string, unknown>,
) {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}
