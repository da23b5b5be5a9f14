import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { baseUrl, errorBody, useMockApi } from '../test/support/mock-api.js';
import { createClient } from './client.js';
import { NotFoundError } from './errors.js';

const server = useMockApi();
const orgA = '11111111-1111-4111-8111-111111111111';
const orgB = '22222222-2222-4222-8222-222222222222';

function key(index: number) {
  return {
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    name: `key ${index}`,
    provider: 'openai',
    baseUrl: null,
    hint: '…abcd',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: null,
  };
}

/** Records the headers of every request to /v1/orgs. */
function recordHeaders() {
  const seen: { authorization: string | null; org: string | null }[] = [];
  server.use(
    http.get(`${baseUrl}/v1/provider-keys`, ({ request }) => {
      seen.push({
        authorization: request.headers.get('authorization'),
        org: request.headers.get('llmbatch-org'),
      });
      return HttpResponse.json({ data: [], nextCursor: null });
    }),
  );
  return seen;
}

describe('createClient', () => {
  it('sends the API key as a bearer token and the client org as llmbatch-org', async () => {
    const seen = recordHeaders();
    const client = createClient({ baseUrl, apiKey: 'lbk_secret', orgId: orgA });
    await client.providerKeys.list().toArray();
    expect(seen).toEqual([{ authorization: 'Bearer lbk_secret', org: orgA }]);
  });

  it('asks getToken before every request, and a per-call or withOrg org wins over the client one', async () => {
    const seen = recordHeaders();
    let calls = 0;
    const client = createClient({
      baseUrl: `${baseUrl}/`,
      getToken: async () => {
        calls += 1;
        return `jwt-${calls}`;
      },
      orgId: orgA,
    });
    await client.providerKeys.list().toArray();
    await client.providerKeys.list({}, { orgId: orgB }).toArray();
    await client.withOrg(orgB).providerKeys.list().toArray();
    expect(seen).toEqual([
      { authorization: 'Bearer jwt-1', org: orgA },
      { authorization: 'Bearer jwt-2', org: orgB },
      { authorization: 'Bearer jwt-3', org: orgB },
    ]);
  });

  it('sends no authorization and no org header when none is configured', async () => {
    const seen = recordHeaders();
    await createClient({ baseUrl }).providerKeys.list().toArray();
    expect(seen).toEqual([{ authorization: null, org: null }]);
  });

  it('keeps the openapi-fetch { data, error, response } result on client.api', async () => {
    server.use(
      http.get(`${baseUrl}/v1/orgs/:orgId`, () =>
        HttpResponse.json(errorBody('not-found', 'No such org', 'req-9'), { status: 404 }),
      ),
    );
    const result = await createClient({ baseUrl }).api.GET('/v1/orgs/{orgId}', {
      params: { path: { orgId: orgA } },
    });
    expect(result.data).toBeUndefined();
    expect(result.error).toEqual(errorBody('not-found', 'No such org', 'req-9'));
    expect(result.response.status).toBe(404);
  });

  it('request() sends raw requests with the same headers and throws typed errors', async () => {
    server.use(
      http.get(`${baseUrl}/v1/things/:id`, ({ request, params }) =>
        params.id === 'missing'
          ? HttpResponse.json(errorBody('not-found', 'No such thing', 'req-3'), { status: 404 })
          : new HttpResponse(request.headers.get('authorization')),
      ),
    );
    const client = createClient({ baseUrl, apiKey: 'lbk_raw' });
    expect(await (await client.request('/v1/things/1')).text()).toBe('Bearer lbk_raw');
    await expect(client.request('/v1/things/missing')).rejects.toSatisfy(
      (error) => error instanceof NotFoundError && error.requestId === 'req-3',
    );
  });
});

describe('pagination', () => {
  /** Five keys served two per page, recording each cursor asked for. */
  function pagedKeys() {
    const cursors: (string | null)[] = [];
    const limits: (string | null)[] = [];
    server.use(
      http.get(`${baseUrl}/v1/provider-keys`, ({ request }) => {
        const url = new URL(request.url);
        const cursor = url.searchParams.get('cursor');
        cursors.push(cursor);
        limits.push(url.searchParams.get('limit'));
        const start = cursor === null ? 0 : Number(cursor);
        const data = [1, 2, 3, 4, 5].slice(start, start + 2).map(key);
        return HttpResponse.json({ data, nextCursor: start + 2 < 5 ? String(start + 2) : null });
      }),
    );
    return { cursors, limits };
  }

  it('iterates every item across pages, passing each nextCursor on', async () => {
    const { cursors, limits } = pagedKeys();
    const names: string[] = [];
    for await (const item of createClient({ baseUrl }).providerKeys.list({ limit: 2 })) names.push(item.name);
    expect(names).toEqual(['key 1', 'key 2', 'key 3', 'key 4', 'key 5']);
    expect(cursors).toEqual([null, '2', '4']);
    expect(limits).toEqual(['2', '2', '2']);
  });

  it('fetches no further page after the loop breaks', async () => {
    const { cursors } = pagedKeys();
    for await (const item of createClient({ baseUrl }).providerKeys.list({ limit: 2 })) {
      if (item.name === 'key 1') break;
    }
    expect(cursors).toEqual([null]);
  });

  it('pages() yields the pages themselves', async () => {
    pagedKeys();
    const sizes: number[] = [];
    for await (const page of createClient({ baseUrl }).providerKeys.list({ limit: 2 }).pages())
      sizes.push(page.data.length);
    expect(sizes).toEqual([2, 2, 1]);
  });
});
