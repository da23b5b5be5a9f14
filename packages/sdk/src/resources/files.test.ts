import { Readable } from 'node:stream';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { baseUrl, errorBody, useMockApi } from '../../test/support/mock-api.js';
import { createClient } from '../client.js';
import { PermissionDeniedError } from '../errors.js';

const server = useMockApi();
const fastRetries = { initialRetryDelayMs: 1, maxRetryDelayMs: 5 };
const csv = 'id,text\nr1,Arrived quickly\nr2,Broke after two days\n';
const fileId = '33333333-3333-4333-8333-333333333333';
const storeUrl = 'http://store.example.test/llmbatch/orgs/o/uploads/u';
const storedFile = {
  id: fileId,
  name: 'reviews.csv',
  format: 'csv',
  sizeBytes: csv.length,
  sha256: 'ab'.repeat(32),
  createdAt: '2026-01-01T00:00:00.000Z',
};

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  contentType: string | null;
  body: string;
}

/**
 * A server offering signed uploads up to `maxUploadBytes` (or none, answering 404 like a server
 * without the route), and an object store answering the PUT with each of `storeStatuses` in turn.
 */
function api(options: { signed: false | { maxUploadBytes: number }; storeStatuses?: number[] }) {
  const seen: Seen[] = [];
  const record = async (request: Request) => {
    seen.push({
      method: request.method,
      url: request.url.split('?')[0] ?? '',
      authorization: request.headers.get('authorization'),
      contentType: request.headers.get('content-type'),
      body: await request.text(),
    });
  };
  const storeStatuses = options.storeStatuses ?? [200];
  server.use(
    http.get(`${baseUrl}/v1/files/upload-options`, async ({ request }) => {
      await record(request);
      if (options.signed === false)
        return HttpResponse.json(errorBody('not-found', 'Not found', 'r'), { status: 404 });
      return HttpResponse.json({
        maxUploadBytes: 1_000_000,
        signedUrls: {
          available: true,
          servedBy: 'object-store',
          maxUploadBytes: options.signed.maxUploadBytes,
          maxExpiresInSeconds: 900,
        },
      });
    }),
    http.post(`${baseUrl}/v1/files/uploads`, async ({ request }) => {
      await record(request);
      return HttpResponse.json(
        {
          fileId,
          uploadToken: 'v1.payload.signature',
          method: 'PUT',
          url: `${storeUrl}?X-Amz-Signature=abc`,
          headers: { 'content-type': 'text/csv; charset=utf-8' },
          sizeBytes: csv.length,
          expiresAt: '2026-01-01T00:15:00.000Z',
        },
        { status: 201 },
      );
    }),
    http.put(storeUrl, async ({ request }) => {
      await record(request);
      const status =
        storeStatuses[
          Math.min(seen.filter((entry) => entry.method === 'PUT').length, storeStatuses.length) - 1
        ] ?? 200;
      return status === 200
        ? new HttpResponse(null, { status: 200 })
        : new HttpResponse('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', {
            status,
            headers: { 'content-type': 'application/xml' },
          });
    }),
    http.post(`${baseUrl}/v1/files/uploads/complete`, async ({ request }) => {
      await record(request);
      return HttpResponse.json(storedFile, { status: 201 });
    }),
    http.post(`${baseUrl}/v1/files`, async ({ request }) => {
      await record(request);
      return HttpResponse.json(storedFile, { status: 201 });
    }),
  );
  return seen;
}

const client = () => createClient({ baseUrl, apiKey: 'lbk_secret', maxRetries: 2, ...fastRetries });

describe('files.upload', () => {
  it('sends a file of known size to the signed URL the server offers, without credentials, then completes it', async () => {
    const seen = api({ signed: { maxUploadBytes: 1000 } });
    const file = await client().files.upload(new File([csv], 'reviews.csv'));
    expect(file).toEqual(storedFile);
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      `GET ${baseUrl}/v1/files/upload-options`,
      `POST ${baseUrl}/v1/files/uploads`,
      `PUT ${storeUrl}`,
      `POST ${baseUrl}/v1/files/uploads/complete`,
    ]);
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({
      name: 'reviews.csv',
      format: 'csv',
      sizeBytes: csv.length,
    });
    // The store gets the bytes with the signed headers, and never the API token.
    expect(seen[2]).toMatchObject({ authorization: null, contentType: 'text/csv; charset=utf-8', body: csv });
    expect(seen[3]).toMatchObject({
      authorization: 'Bearer lbk_secret',
      body: '{"uploadToken":"v1.payload.signature"}',
    });
  });

  it('streams a source of unknown size through the API, asking nothing first', async () => {
    const seen = api({ signed: { maxUploadBytes: 1000 } });
    await client().files.upload(Readable.from([Buffer.from(csv)]), { name: 'reviews.csv' });
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([`POST ${baseUrl}/v1/files`]);
    expect(seen[0]).toMatchObject({ contentType: 'text/csv', body: csv });
  });

  it('falls back to the API when the server has no signed uploads, or the file is past their limit', async () => {
    const without = api({ signed: false });
    await client().files.upload(new Blob([csv]), { name: 'reviews.csv' });
    expect(without.map((request) => request.method)).toEqual(['GET', 'POST']);
    expect(without[1]?.url).toBe(`${baseUrl}/v1/files`);

    const small = api({ signed: { maxUploadBytes: 10 } });
    await client().files.upload(new Blob([csv]), { name: 'reviews.csv' });
    expect(small.map((request) => `${request.method} ${request.url}`)).toEqual([
      `GET ${baseUrl}/v1/files/upload-options`,
      `POST ${baseUrl}/v1/files`,
    ]);
  });

  it('retries a PUT the store failed with 503, sending the whole file again', async () => {
    const seen = api({ signed: { maxUploadBytes: 1000 }, storeStatuses: [503, 200] });
    await client().files.upload(new Blob([csv]), { name: 'reviews.csv' });
    const puts = seen.filter((request) => request.method === 'PUT');
    expect(puts.map((request) => request.body)).toEqual([csv, csv]);
    expect(seen.at(-1)?.url).toBe(`${baseUrl}/v1/files/uploads/complete`);
  });

  it("reports the store's refusal as a typed error and completes nothing", async () => {
    const seen = api({ signed: { maxUploadBytes: 1000 }, storeStatuses: [403] });
    const error = await client()
      .files.upload(new Blob([csv]), { name: 'reviews.csv' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as PermissionDeniedError).message).toContain('Request has expired');
    expect(seen.map((request) => request.url)).not.toContain(`${baseUrl}/v1/files/uploads/complete`);
  });

  it('uses the API only, or the signed URL only, when asked', async () => {
    const viaApi = api({ signed: { maxUploadBytes: 1000 } });
    await client().files.upload(new Blob([csv]), { name: 'reviews.csv', via: 'api' });
    expect(viaApi.map((request) => request.url)).toEqual([`${baseUrl}/v1/files`]);
    await expect(
      client().files.upload(Readable.from([csv]), { name: 'reviews.csv', via: 'signed-url' }),
    ).rejects.toThrow('A signed-URL upload needs the size and format up front');
    const signedOnly = api({ signed: false });
    await client().files.upload(new Blob([csv]), { name: 'reviews.csv', via: 'signed-url' });
    expect(signedOnly.map((request) => request.method)).toEqual(['POST', 'PUT', 'POST']);
  });
});

describe('files.downloadUrl', () => {
  it('asks for a signed URL of the given lifetime', async () => {
    const asked: string[] = [];
    server.use(
      http.get(`${baseUrl}/v1/files/:fileId/download-url`, ({ request }) => {
        asked.push(request.url);
        return HttpResponse.json({
          url: 'https://store.example.test/x?sig=1',
          expiresAt: '2026-01-01T00:05:00.000Z',
        });
      }),
    );
    const signed = await client().files.downloadUrl(fileId, { expiresInSeconds: 300 });
    expect(signed).toEqual({
      url: 'https://store.example.test/x?sig=1',
      expiresAt: '2026-01-01T00:05:00.000Z',
    });
    expect(asked).toEqual([`${baseUrl}/v1/files/${fileId}/download-url?expiresInSeconds=300`]);
  });
});
