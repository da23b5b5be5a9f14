import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server } from '../../test/support/s3-server.js';
import { createFilesystemStorage } from './filesystem-storage.js';
import { objectKeyFor, type StorageDriver, StorageError, uploadKeyFor } from './storage-driver.js';

const mebibyte = 1024 * 1024;

/** `count` chunks of `size` bytes, each a different letter. */
async function* chunks(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let index = 0; index < count; index += 1) yield Buffer.alloc(size, 97 + (index % 26));
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of iterable) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

let s3: S3TestServer;
let root: string;
beforeAll(async () => {
  s3 = await startS3Server();
  root = await mkdtemp(join(tmpdir(), 'llmbatch-storage-contract-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(root, { recursive: true, force: true });
});

/** What each driver holds, as object keys. */
async function storedKeys(kind: 'filesystem' | 's3'): Promise<string[]> {
  if (kind === 's3') return s3.keys();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

describe.each(['filesystem', 's3'] as const)('the %s driver', (kind) => {
  // 5 MiB parts: a 12 MiB object is a real three-part multipart upload on S3.
  const storage = (): StorageDriver =>
    kind === 's3' ? s3.storage({ partSizeBytes: 5 * mebibyte }) : createFilesystemStorage({ root });

  it('streams a multi-part object in and out, reporting its size and SHA-256', async () => {
    const driver = storage();
    const key = objectKeyFor(randomUUID(), randomUUID());
    const stored = await driver.write(key, chunks(12, mebibyte), { maxBytes: 20 * mebibyte });
    const content = await collect(driver.read(key));
    expect(content.length).toBe(12 * mebibyte);
    expect(stored).toEqual({
      sizeBytes: 12 * mebibyte,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    expect(content.subarray(11 * mebibyte, 11 * mebibyte + 3).toString()).toBe('lll');
    expect(await driver.exists(key)).toBe(true);
    await driver.remove(key);
    expect(await driver.exists(key)).toBe(false);
    await driver.remove(key);
  });

  it('refuses a write past the limit and keeps nothing of it', async () => {
    const driver = storage();
    const key = objectKeyFor(randomUUID(), randomUUID());
    const before = await storedKeys(kind);
    const requestsBefore = s3.requests.length;
    const error = await failure(driver.write(key, chunks(20, mebibyte), { maxBytes: 12 * mebibyte }));
    expect(StorageError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'object-too-large', details: { maxBytes: 12 * mebibyte } });
    expect(await driver.exists(key)).toBe(false);
    expect(await storedKeys(kind)).toEqual(before);
    if (kind === 's3') {
      // Two 5 MiB parts had gone up before the limit was crossed; the multipart upload was aborted.
      const sent = s3.requests.slice(requestsBefore);
      expect(
        sent.filter((request) => request.method === 'PUT' && request.url.includes('partNumber=')),
      ).toHaveLength(2);
      expect(
        sent.filter((request) => request.method === 'DELETE' && request.url.includes('uploadId=')),
      ).toHaveLength(1);
      expect(await s3.openMultipartUploads()).toBe(0);
    }
  });

  it('moves an object to another key, and reports a missing one', async () => {
    const driver = storage();
    const orgId = randomUUID();
    const fileId = randomUUID();
    await driver.write(uploadKeyFor(orgId, fileId), chunks(1, 10), { maxBytes: 100 });
    await driver.move?.(uploadKeyFor(orgId, fileId), objectKeyFor(orgId, fileId));
    expect(await driver.exists(uploadKeyFor(orgId, fileId))).toBe(false);
    expect((await collect(driver.read(objectKeyFor(orgId, fileId)))).toString()).toBe('aaaaaaaaaa');
    const missing = await failure(
      driver.move?.(uploadKeyFor(orgId, randomUUID()), objectKeyFor(orgId, randomUUID())) ??
        Promise.resolve(),
    );
    expect(missing).toMatchObject({ code: 'object-not-found' });
    const unread = await failure(collect(driver.read(objectKeyFor(orgId, randomUUID()))));
    expect(StorageError.isInstance(unread)).toBe(true);
    expect(unread).toMatchObject({ code: 'object-not-found' });
  });
});

describe('presigned URLs of the S3 driver', () => {
  const csv = 'id,text\n1,hello\n2,world\n';

  it('signs a PUT for exactly one length and type, which stores the body', async () => {
    const driver = s3.storage();
    const key = uploadKeyFor(randomUUID(), randomUUID());
    const put = await driver.presign?.upload(key, {
      sizeBytes: Buffer.byteLength(csv),
      contentType: 'text/csv; charset=utf-8',
      expiresInSeconds: 300,
      now: new Date(),
    });
    if (put === undefined) throw new Error('the S3 driver offers presigned URLs');
    const url = new URL(put.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${s3.endpoint}/${s3.bucket}/${key}`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(put.headers).toEqual({ 'content-type': 'text/csv; charset=utf-8' });
    const response = await fetch(put.url, { method: 'PUT', body: csv, headers: put.headers });
    expect(response.status).toBe(200);
    expect((await collect(driver.read(key))).toString()).toBe(csv);
  });

  it('signs a GET that serves the object with the given type and name, until it expires', async () => {
    const driver = s3.storage();
    const key = objectKeyFor(randomUUID(), randomUUID());
    await driver.write(key, Readable.from([Buffer.from(csv)]), { maxBytes: 1000 });
    const options = {
      expiresInSeconds: 60,
      contentType: 'text/csv; charset=utf-8',
      contentDisposition: 'attachment; filename="reviews.csv"',
    };
    const fresh = await driver.presign?.download(key, { ...options, now: new Date() });
    const response = await fetch(fresh?.url ?? '');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="reviews.csv"');
    expect(await response.text()).toBe(csv);
    const stale = await driver.presign?.download(key, {
      ...options,
      now: new Date(Date.now() - 61_000),
    });
    const refused = await fetch(stale?.url ?? '');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Request has expired');
  });

  it('puts the public endpoint, not the internal one, in presigned URLs', async () => {
    const driver = s3.storage({ publicEndpoint: 'https://files.example.test' });
    const key = objectKeyFor(randomUUID(), randomUUID());
    const get = await driver.presign?.download(key, {
      expiresInSeconds: 60,
      now: new Date(),
      contentType: 'text/csv',
      contentDisposition: 'attachment; filename="a.csv"',
    });
    expect(get?.url.startsWith(`https://files.example.test/${s3.bucket}/${key}?`)).toBe(true);
  });
});
