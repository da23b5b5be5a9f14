import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { baseUrl, errorBody, useMockApi } from '../../test/support/mock-api.js';
import { createClient } from '../client.js';

const server = useMockApi();
const jobId = '33333333-3333-4333-8333-333333333333';
const fileId = '44444444-4444-4444-8444-444444444444';
const encoder = new TextEncoder();
const body = { fileId, providerKeyId: fileId, model: 'gpt-4o-mini', prompt: 'Label {{text}}' };

function job(status: string) {
  return { id: jobId, status };
}

describe('jobs', () => {
  it('create sends an Idempotency-Key, and a retried create resends the same one', async () => {
    const keys: (string | null)[] = [];
    server.use(
      http.post(`${baseUrl}/v1/jobs`, ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        return keys.length === 1
          ? HttpResponse.json(errorBody('internal', 'lost', 'req-1'), { status: 503 })
          : HttpResponse.json(job('queued'), { status: 202 });
      }),
    );
    const client = createClient({ baseUrl, initialRetryDelayMs: 1 });
    await expect(client.jobs.create(body)).resolves.toEqual(job('queued'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    await client.jobs.create(body, { idempotencyKey: 'nightly-2026-03-01' });
    expect(keys[2]).toBe('nightly-2026-03-01');
  });

  it('wait follows the events across a dropped connection, reports progress, and returns the final job', async () => {
    const lastEventIds: (string | null)[] = [];
    server.use(
      http.get(`${baseUrl}/v1/jobs/:jobId/events`, ({ request }) => {
        const lastEventId = request.headers.get('last-event-id');
        lastEventIds.push(lastEventId);
        const first = lastEventId === null;
        const stream = new ReadableStream<Uint8Array>({
          async start(controller) {
            const text = first
              ? 'retry: 1\nid: running:0\nevent: status\ndata: {"status":"running","error":null}\n\nid: running:1\nevent: progress\ndata: {"total":2,"succeeded":1,"failed":0}\n\n'
              : 'id: completed:2\nevent: progress\ndata: {"total":2,"succeeded":2,"failed":0}\n\nid: completed:2\nevent: end\ndata: {"status":"completed"}\n\n';
            controller.enqueue(encoder.encode(text));
            if (!first) return controller.close();
            await new Promise((resolve) => setTimeout(resolve, 50));
            controller.error(new Error('connection reset'));
          },
        });
        return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
      }),
      http.get(`${baseUrl}/v1/jobs/:jobId`, () => HttpResponse.json(job('completed'))),
    );
    const progress: number[] = [];
    const done = await createClient({ baseUrl }).jobs.wait(jobId, {
      onProgress: (event) => progress.push(event.succeeded),
    });
    expect(done).toEqual(job('completed'));
    expect(progress).toEqual([1, 2]);
    expect(lastEventIds).toEqual([null, 'running:1']);
  });

  it('results streams the JSONL rows in order', async () => {
    server.use(
      http.get(
        `${baseUrl}/v1/jobs/:jobId/results`,
        () =>
          new HttpResponse(
            '{"index":0,"status":"ok","value":{"label":"a"}}\n{"index":1,"status":"error","value":null}\n',
            {
              headers: { 'content-type': 'application/x-ndjson' },
            },
          ),
      ),
    );
    const rows: { index: number; status: string }[] = [];
    for await (const row of createClient({ baseUrl }).jobs.results<{ label: string }>(jobId)) {
      rows.push({ index: row.index, status: row.status });
    }
    expect(rows).toEqual([
      { index: 0, status: 'ok' },
      { index: 1, status: 'error' },
    ]);
  });
});

describe('files', () => {
  it('upload streams the body with the content type and name the server expects, once', async () => {
    const seen: { name: string | null; type: string | null; body: string }[] = [];
    server.use(
      http.post(`${baseUrl}/v1/files`, async ({ request }) => {
        seen.push({
          name: new URL(request.url).searchParams.get('name'),
          type: request.headers.get('content-type'),
          body: await request.text(),
        });
        return HttpResponse.json(errorBody('internal', 'storage down', 'req-2'), { status: 503 });
      }),
    );
    const client = createClient({ baseUrl, initialRetryDelayMs: 1 });
    await expect(
      client.files.upload(new File(['id,text\n1,hi\n'], 'reviews.csv'), { via: 'api' }),
    ).rejects.toMatchObject({
      status: 503,
      requestId: 'req-2',
    });
    expect(seen).toEqual([{ name: 'reviews.csv', type: 'text/csv', body: 'id,text\n1,hi\n' }]);
  });

  it('upload needs a name for a source without one', async () => {
    await expect(createClient({ baseUrl }).files.upload(new Blob(['x']))).rejects.toThrow(TypeError);
  });
});
