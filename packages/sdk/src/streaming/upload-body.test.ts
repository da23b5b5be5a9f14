import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { HttpResponse, http } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, useMockApi } from '../../test/support/mock-api.js';
import { createClient } from '../client.js';
import { iterableToStream, toUploadBody, type UploadSource } from './upload-body.js';

const server = useMockApi();
const csv = 'id,text\nr1,Arrived quickly\nr2,Broke after two days — no\n';
let directory = '';
let file = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmbatch-sdk-upload-'));
  file = join(directory, 'reviews.csv');
  await writeFile(file, csv);
});
afterAll(() => rm(directory, { recursive: true, force: true }));

/** Sends `source` as a PUT body through the client and returns what the server received. */
async function upload(source: UploadSource) {
  let received = '';
  server.use(
    http.put(`${baseUrl}/v1/uploads/1`, async ({ request }) => {
      received = await request.text();
      return new HttpResponse(null, { status: 204 });
    }),
  );
  const prepared = await toUploadBody(source);
  await createClient({ baseUrl }).request('/v1/uploads/1', { method: 'PUT', body: prepared.body });
  return { received, prepared };
}

describe('toUploadBody', () => {
  it.each([
    ['a Blob', () => new Blob([csv], { type: 'text/csv' }), csv.length + 2, undefined, 'text/csv'],
    ['a File', () => new File([csv], 'named.csv'), csv.length + 2, 'named.csv', undefined],
    ['a path', () => file, csv.length + 2, 'reviews.csv', undefined],
    ['a file URL', () => pathToFileURL(file), csv.length + 2, 'reviews.csv', undefined],
    [
      'a web ReadableStream',
      () => Readable.toWeb(Readable.from([Buffer.from(csv)])) as ReadableStream<Uint8Array>,
      undefined,
      undefined,
      undefined,
    ],
    [
      'a Node stream',
      () => Readable.from([Buffer.from(csv.slice(0, 10)), csv.slice(10)]),
      undefined,
      undefined,
      undefined,
    ],
  ] as const)('sends %s byte for byte', async (_name, source, contentLength, filename, contentType) => {
    const { received, prepared } = await upload(source());
    expect(received).toBe(csv);
    expect({
      contentLength: prepared.contentLength,
      filename: prepared.filename,
      contentType: prepared.contentType,
    }).toEqual({
      contentLength,
      filename,
      contentType,
    });
  });

  it('reads a Node stream only as fast as the body is consumed', async () => {
    let pulled = 0;
    async function* chunks() {
      for (let index = 0; index < 100; index += 1) {
        pulled += 1;
        yield new Uint8Array([index]);
      }
    }
    const reader = iterableToStream(chunks()).getReader();
    await reader.read();
    await reader.read();
    // The stream's queue holds at most one chunk ahead of the reader.
    expect(pulled).toBeLessThanOrEqual(3);
    await reader.cancel();
  });

  it('rejects anything else with a TypeError', async () => {
    await expect(toUploadBody(42 as unknown as UploadSource)).rejects.toThrow(TypeError);
  });
});
