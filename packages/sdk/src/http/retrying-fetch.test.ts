import { delay, HttpResponse, http, type JsonBodyType } from 'msw';
import { describe, expect, it } from 'vitest';
import { baseUrl, errorBody, useMockApi } from '../../test/support/mock-api.js';
import { createClient } from '../client.js';
import {
  APIConnectionError,
  APITimeoutError,
  ConflictError,
  InternalServerError,
  RateLimitError,
} from '../errors.js';

const server = useMockApi();
const fastRetries = { initialRetryDelayMs: 1, maxRetryDelayMs: 5 };
const orgs = { data: [] };
const createdOrg = {
  id: '0b6f3c8e-8d0e-4d5a-9a47-3f0f2b9c1a11',
  name: 'Acme',
  role: 'owner',
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** Answers each request with the next of `statuses` (the last one repeats), counting attempts. */
function sequence(
  method: 'get' | 'post' | 'patch',
  path: string,
  statuses: number[],
  success: JsonBodyType = orgs,
) {
  const seen: { body: string; idempotencyKey: string | null }[] = [];
  server.use(
    http[method](`${baseUrl}${path}`, async ({ request }) => {
      seen.push({ body: await request.text(), idempotencyKey: request.headers.get('idempotency-key') });
      const status = statuses[Math.min(seen.length, statuses.length) - 1] ?? 200;
      if (status === 0) return HttpResponse.error();
      if (status >= 400)
        return HttpResponse.json(errorBody('internal', `attempt ${seen.length}`, `req-${seen.length}`), {
          status,
        });
      return HttpResponse.json(success, { status });
    }),
  );
  return seen;
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('retries', () => {
  it('retries a GET after 503 and 500 and returns the third answer', async () => {
    const seen = sequence('get', '/v1/orgs', [503, 500, 200]);
    const client = createClient({ baseUrl, maxRetries: 2, ...fastRetries });
    await expect(client.orgs.list()).resolves.toEqual(orgs);
    expect(seen).toHaveLength(3);
  });

  it('gives up after maxRetries and throws the last answer as its typed error', async () => {
    const seen = sequence('get', '/v1/orgs', [500]);
    const client = createClient({ baseUrl, maxRetries: 3, ...fastRetries });
    const error = await failure(() => client.orgs.list());
    expect(error).toBeInstanceOf(InternalServerError);
    // The final error says how many times the request went out.
    expect(error).toMatchObject({ message: 'attempt 4', requestId: 'req-4', attempts: 4 });
    expect(seen).toHaveLength(4);
  });

  it('retries 408, 409 and 429 but not 400', async () => {
    const retried = sequence('get', '/v1/orgs', [408, 409, 429, 200]);
    const client = createClient({ baseUrl, maxRetries: 3, ...fastRetries });
    await client.orgs.list();
    expect(retried).toHaveLength(4);
    const once = sequence('get', '/v1/orgs', [400, 200]);
    await expect(client.orgs.list()).rejects.toMatchObject({ status: 400, attempts: 1 });
    expect(once).toHaveLength(1);
  });

  it('waits what retry-after-ms asks before retrying', async () => {
    let first = 0;
    let second = 0;
    server.use(
      http.get(`${baseUrl}/v1/orgs`, () => {
        if (first === 0) {
          first = performance.now();
          return HttpResponse.json(errorBody('too-many-attempts', 'wait', 'r'), {
            status: 429,
            headers: { 'retry-after-ms': '300' },
          });
        }
        second = performance.now();
        return HttpResponse.json(orgs);
      }),
    );
    // A backoff of 1 ms would retry at once; only the header can explain the wait.
    const client = createClient({ baseUrl, maxRetries: 1, ...fastRetries });
    await client.orgs.list();
    expect(second - first).toBeGreaterThanOrEqual(290);
    expect(second - first).toBeLessThan(3000);
  });

  it('waits Retry-After seconds before retrying', async () => {
    const times: number[] = [];
    server.use(
      http.get(`${baseUrl}/v1/orgs`, () => {
        times.push(performance.now());
        return times.length === 1
          ? HttpResponse.json(errorBody('too-many-attempts', 'wait', 'r'), {
              status: 429,
              headers: { 'retry-after': '1' },
            })
          : HttpResponse.json(orgs);
      }),
    );
    const client = createClient({ baseUrl, maxRetries: 1, ...fastRetries });
    await client.orgs.list();
    expect(times).toHaveLength(2);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('never retries a POST without an Idempotency-Key, even on 503', async () => {
    const seen = sequence('post', '/v1/orgs', [503, 201], createdOrg);
    const client = createClient({ baseUrl, maxRetries: 3, ...fastRetries });
    const error = await failure(() => client.orgs.create({ name: 'Acme' }));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ attempts: 1 });
    expect(seen).toHaveLength(1);
  });

  it('never retries a PATCH without an Idempotency-Key, even after a connection error', async () => {
    const seen = sequence('patch', '/v1/orgs/:orgId', [0, 200], createdOrg);
    const client = createClient({ baseUrl, maxRetries: 3, ...fastRetries });
    await expect(client.orgs.update(createdOrg.id, { name: 'Acme 2' })).rejects.toBeInstanceOf(
      APIConnectionError,
    );
    expect(seen).toHaveLength(1);
  });

  it('retries a POST that carries an Idempotency-Key, resending the same body and key', async () => {
    const seen = sequence('post', '/v1/orgs', [409, 503, 201], createdOrg);
    const client = createClient({ baseUrl, maxRetries: 2, ...fastRetries });
    const { data } = await client.api.POST('/v1/orgs', {
      body: { name: 'Acme' },
      headers: { 'idempotency-key': 'create-acme-1' },
    });
    expect(data).toEqual(createdOrg);
    expect(seen).toEqual([
      { body: '{"name":"Acme"}', idempotencyKey: 'create-acme-1' },
      { body: '{"name":"Acme"}', idempotencyKey: 'create-acme-1' },
      { body: '{"name":"Acme"}', idempotencyKey: 'create-acme-1' },
    ]);
  });

  it('retries connection errors, then throws APIConnectionError', async () => {
    const seen = sequence('get', '/v1/orgs', [0]);
    const client = createClient({ baseUrl, maxRetries: 2, ...fastRetries });
    const error = await failure(() => client.orgs.list());
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).toMatchObject({ code: 'connection-error', status: undefined, attempts: 3 });
    expect(seen).toHaveLength(3);
  });

  it('times out an attempt after timeoutMs, retries it, then throws APITimeoutError', async () => {
    let attempts = 0;
    server.use(
      http.get(`${baseUrl}/v1/orgs`, async () => {
        attempts += 1;
        await delay(2000);
        return HttpResponse.json(orgs);
      }),
    );
    const client = createClient({ baseUrl, timeoutMs: 50, maxRetries: 1, ...fastRetries });
    const error = await failure(() => client.orgs.list());
    expect(error).toBeInstanceOf(APITimeoutError);
    expect(error).toMatchObject({ code: 'timeout', message: 'No response within 50 ms', attempts: 2 });
    expect(attempts).toBe(2);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    let attempts = 0;
    server.use(
      http.get(`${baseUrl}/v1/orgs`, async () => {
        attempts += 1;
        await delay(2000);
        return HttpResponse.json(orgs);
      }),
    );
    const client = createClient({ baseUrl, maxRetries: 3, ...fastRetries });
    const controller = new AbortController();
    const pending = client.orgs.list({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user cancelled')), 30);
    await expect(pending).rejects.toThrow('user cancelled');
    expect(attempts).toBe(1);
  });

  it('a 429 that keeps coming ends as RateLimitError', async () => {
    const seen = sequence('get', '/v1/orgs', [429]);
    const client = createClient({ baseUrl, maxRetries: 1, ...fastRetries });
    await expect(client.orgs.list()).rejects.toBeInstanceOf(RateLimitError);
    expect(seen).toHaveLength(2);
  });

  it('a 409 on a GET is retried and a lasting one ends as ConflictError', async () => {
    const seen = sequence('get', '/v1/orgs', [409]);
    const client = createClient({ baseUrl, maxRetries: 1, ...fastRetries });
    await expect(client.orgs.list()).rejects.toBeInstanceOf(ConflictError);
    expect(seen).toHaveLength(2);
  });
});

describe('the attempt count of a final error', () => {
  it('is on errors of raw requests too, and 1 for an error the SDK did not retry', async () => {
    const seen = sequence('get', '/v1/things', [502]);
    const client = createClient({ baseUrl, maxRetries: 2, ...fastRetries });
    const error = await failure(() => client.request('/v1/things'));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({ status: 502, attempts: 3 });
    expect(seen).toHaveLength(3);
    server.use(
      http.get(`${baseUrl}/v1/missing`, () =>
        HttpResponse.json(errorBody('not-found', 'No such thing', 'req-404'), { status: 404 }),
      ),
    );
    const notFound = await failure(() => client.request('/v1/missing'));
    expect(notFound).toMatchObject({ status: 404, attempts: 1 });
  });
});
