import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { baseUrl, errorBody, useMockApi } from '../test/support/mock-api.js';
import { createClient } from './client.js';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  LLMBatchAPIError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from './errors.js';

const server = useMockApi();
const keyId = '0b6f3c8e-8d0e-4d5a-9a47-3f0f2b9c1a11';

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('error mapping', () => {
  it.each([
    [400, 'invalid-request', BadRequestError],
    [401, 'invalid-token', AuthenticationError],
    [403, 'forbidden', PermissionDeniedError],
    [404, 'not-found', NotFoundError],
    [409, 'conflict', ConflictError],
    [422, 'invalid-request', UnprocessableEntityError],
    [429, 'too-many-attempts', RateLimitError],
    [500, 'internal', InternalServerError],
    [503, 'not-ready', InternalServerError],
  ] as const)(
    'a %i answer becomes %s with the server code, message and request id',
    async (status, code, type) => {
      server.use(
        http.get(`${baseUrl}/v1/provider-keys/:keyId`, () =>
          HttpResponse.json(errorBody(code, `failed with ${status}`, `req-${status}`, { field: 'name' }), {
            status,
          }),
        ),
      );
      const client = createClient({ baseUrl, apiKey: 'lbk_test', maxRetries: 0 });
      const error = await failure(() => client.providerKeys.get(keyId));
      expect(error).toBeInstanceOf(type);
      expect(error).toMatchObject({
        name: type.name,
        status,
        code,
        message: `failed with ${status}`,
        requestId: `req-${status}`,
        details: { field: 'name' },
      });
      expect(LLMBatchAPIError.isInstance(error)).toBe(true);
    },
  );

  it('an answer without the error body (a proxy 502) is still typed, with the x-request-id header', async () => {
    server.use(
      http.get(
        `${baseUrl}/v1/orgs`,
        () => new HttpResponse('Bad Gateway', { status: 502, headers: { 'x-request-id': 'proxy-7' } }),
      ),
    );
    const client = createClient({ baseUrl, maxRetries: 0 });
    const error = await failure(() => client.orgs.list());
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({
      status: 502,
      code: 'internal',
      requestId: 'proxy-7',
      message: '502 Bad Gateway: Bad Gateway',
    });
  });

  it('a 429 error reports the Retry-After wait and says it is retryable; a 404 is not retryable', async () => {
    server.use(
      http.get(`${baseUrl}/v1/orgs`, () =>
        HttpResponse.json(errorBody('too-many-attempts', 'slow down', 'req-1'), {
          status: 429,
          headers: { 'retry-after': '7' },
        }),
      ),
    );
    const client = createClient({ baseUrl, maxRetries: 0 });
    const error = await failure(() => client.orgs.list());
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(7000);
    expect((error as RateLimitError).isRetryable).toBe(true);
    expect(new NotFoundError('gone', { status: 404, code: 'not-found' }).isRetryable).toBe(false);
  });

  it('isInstance recognises errors by a global marker, not by this copy of the class', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('llmbatch.sdk.api-error')]: true });
    expect(LLMBatchAPIError.isInstance(foreign)).toBe(true);
    expect(LLMBatchAPIError.isInstance(new Error('x'))).toBe(false);
  });
});
