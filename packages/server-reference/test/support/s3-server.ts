import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createS3Storage, type S3StorageOptions } from '../../src/storage/s3-storage.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';

/** One request the S3 server received. */
export interface S3Request {
  method: string;
  /** Path and query, as sent. */
  url: string;
}

/** A real S3-compatible server (s3rver) on 127.0.0.1 with one empty bucket, on a temp folder. */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** s3rver's built-in key pair. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Every request received so far. */
  requests: S3Request[];
  /** A driver on the bucket (path-style, as s3rver needs). */
  storage(options?: Partial<S3StorageOptions>): StorageDriver;
  /** Every object key in the bucket. */
  keys(): Promise<string[]>;
  /** Multipart uploads begun and neither completed nor aborted. */
  openMultipartUploads(): Promise<number>;
  close(): Promise<void>;
}

interface KoaContext {
  method: string;
  url: string;
  query: Record<string, unknown>;
  status: number;
}

/**
 * Starts s3rver. It speaks S3 to `@aws-sdk/client-s3` (objects, multipart uploads, copies,
 * presigned URLs and their expiry) but does not check SigV4 signatures, and it lacks
 * AbortMultipartUpload: a small middleware answers that one as S3 does (removing the parts), so a
 * driver's abort can be observed.
 */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'llmbatch-s3rver-'));
  const bucket = 'llmbatch-test';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const internals = server as unknown as {
    middleware: ((context: KoaContext, next: () => Promise<void>) => Promise<void>)[];
    store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
  };
  const uploadsFolder = () => internals.store.getResourcePath(bucket, undefined, 'uploads');
  const requests: S3Request[] = [];
  internals.middleware.unshift(async (context, next) => {
    requests.push({ method: context.method, url: context.url });
    const uploadId = context.query.uploadId;
    if (context.method === 'DELETE' && typeof uploadId === 'string') {
      await rm(join(uploadsFolder(), uploadId), { recursive: true, force: true });
      context.status = 204;
      return;
    }
    await next();
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  return {
    endpoint,
    bucket,
    credentials,
    requests,
    storage: (options = {}) =>
      createS3Storage({ bucket, endpoint, forcePathStyle: true, credentials, ...options }),
    async keys() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
    },
    async openMultipartUploads() {
      const entries = await readdir(uploadsFolder()).catch(() => []);
      return entries.length;
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
