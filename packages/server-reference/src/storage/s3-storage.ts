import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { GetObjectCommandOutput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import {
  type ObjectKey,
  type PresignDownloadOptions,
  type PresignedRequest,
  type PresignUploadOptions,
  type StorageDriver,
  StorageError,
  type StoredObject,
  type WriteOptions,
} from './storage-driver.js';

/** The AWS SDK's modules and this store's clients, made at the first operation. */
interface Sdk {
  s3: typeof import('@aws-sdk/client-s3');
  Upload: typeof import('@aws-sdk/lib-storage').Upload;
  getSignedUrl: typeof import('@aws-sdk/s3-request-presigner').getSignedUrl;
  client: S3Client;
  /** The client presigned URLs are made with (the public endpoint's, when it differs). */
  signingClient: S3Client;
}

async function loadSdk(options: S3StorageOptions): Promise<Sdk> {
  const [s3, storage, presigner] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/lib-storage'),
    import('@aws-sdk/s3-request-presigner'),
  ]);
  const client = new s3.S3Client(clientConfig(options, options.endpoint));
  const signingClient =
    options.publicEndpoint === undefined || options.publicEndpoint === options.endpoint
      ? client
      : new s3.S3Client(clientConfig(options, options.publicEndpoint));
  return { s3, Upload: storage.Upload, getSignedUrl: presigner.getSignedUrl, client, signingClient };
}

/**
 * Access key pair of an S3-compatible store.
 *
 * @example
 * ```ts
 * const credentials: S3Credentials = { accessKeyId: 'minio', secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? '' };
 * ```
 */
export interface S3Credentials {
  /** The access key id. */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
}

/**
 * Options of {@link createS3Storage}.
 *
 * @example
 * ```ts
 * const options: S3StorageOptions = { bucket: 'llmbatch-files', region: 'eu-west-1' };
 * ```
 */
export interface S3StorageOptions {
  /** Bucket every object is kept in (env `S3_BUCKET`); it must exist. */
  bucket: string;
  /** Region of the bucket (env `S3_REGION`). @default 'us-east-1' */
  region?: string;
  /** URL of an S3-compatible store, e.g. `http://127.0.0.1:9000` (env `S3_ENDPOINT`). @default AWS S3 */
  endpoint?: string;
  /**
   * URL clients reach the store at, used only in presigned URLs, when it differs from `endpoint`
   * (e.g. the API talks to `http://minio:9000`, browsers to `https://files.example.com`)
   * (env `S3_PUBLIC_ENDPOINT`). @default `endpoint`
   */
  publicEndpoint?: string;
  /** Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>` (env `S3_FORCE_PATH_STYLE`). @default false */
  forcePathStyle?: boolean;
  /** Access key pair (env `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`). @default the AWS SDK's provider chain (`AWS_*` variables, instance roles, …) */
  credentials?: S3Credentials;
  /** Size of each part of a multipart upload, in bytes (at least 5 MiB). @default 8388608 (8 MiB) */
  partSizeBytes?: number;
  /** Parts uploaded at once; memory held is about `partSizeBytes × (queueSize + 1)`. @default 2 */
  queueSize?: number;
}

/** Largest single `PUT` S3 accepts, and so the largest presigned upload. */
const largestSinglePutBytes = 5 * 1024 ** 3;
const smallestPartBytes = 5 * 1024 ** 2;

function clientConfig(options: S3StorageOptions, endpoint: string | undefined): S3ClientConfig {
  return {
    region: options.region ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? false,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(options.credentials === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: options.credentials.accessKeyId,
            secretAccessKey: options.credentials.secretAccessKey,
          },
        }),
    // Checksums only where the API requires them: many S3-compatible stores do not understand the
    // aws-chunked trailers the SDK would otherwise add to every upload (and a presigned URL must
    // not ask the client for a checksum it cannot compute in advance).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

function isMissing(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
  );
}

/** What {@link metered} saw. */
interface Tally {
  sizeBytes: number;
  hash: ReturnType<typeof createHash>;
  /** Set once the body went past the limit. */
  tooLarge?: StorageError;
}

/** Counts and hashes the bytes going by, failing as soon as there are more than `maxBytes`. */
async function* metered(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  tally: Tally,
): AsyncIterable<Buffer> {
  for await (const chunk of body) {
    tally.sizeBytes += chunk.length;
    if (tally.sizeBytes > maxBytes) {
      tally.tooLarge = new StorageError(
        'object-too-large',
        `The upload exceeds the limit of ${maxBytes} bytes`,
        { details: { maxBytes } },
      );
      throw tally.tooLarge;
    }
    tally.hash.update(chunk);
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/**
 * Keeps objects in a bucket of S3 or any S3-compatible store (MinIO, Ceph, R2, …), under the keys
 * {@link objectKeyFor} builds. Writes stream: a body that fits in one part is one `PutObject`,
 * anything larger a multipart upload of `partSizeBytes` parts; past `maxBytes` the write fails and
 * the multipart upload is aborted, so no object and no stray parts are left. Offers presigned
 * URLs, `PUT` ones with the exact length and type signed so the store refuses any other body.
 *
 * @example
 * ```ts
 * const storage = createS3Storage({
 *   bucket: 'llmbatch-files',
 *   endpoint: 'http://127.0.0.1:9000',
 *   forcePathStyle: true,
 *   credentials: { accessKeyId: 'minio', secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? '' },
 * });
 * ```
 */
export function createS3Storage(options: S3StorageOptions): StorageDriver {
  const { bucket } = options;
  const partSize = options.partSizeBytes ?? 8 * 1024 ** 2;
  if (partSize < smallestPartBytes) {
    throw new RangeError(`partSizeBytes must be at least ${smallestPartBytes} (S3's smallest part)`);
  }
  const queueSize = options.queueSize ?? 2;
  // The AWS SDK (about 36 MiB and 100 ms to load) is loaded at the first operation, so processes
  // that never touch S3 never pay for it.
  let loaded: Promise<Sdk> | undefined;
  const sdk = (): Promise<Sdk> => {
    loaded ??= loadSdk(options);
    return loaded;
  };

  return {
    kind: 's3',
    async write(
      key: ObjectKey,
      body: AsyncIterable<Uint8Array>,
      writeOptions: WriteOptions,
    ): Promise<StoredObject> {
      const tally: Tally = { sizeBytes: 0, hash: createHash('sha256') };
      const abortController = new AbortController();
      const onAbort = () => abortController.abort(writeOptions.signal?.reason);
      writeOptions.signal?.addEventListener('abort', onAbort, { once: true });
      const { Upload, client } = await sdk();
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key: key,
          Body: Readable.from(metered(body, writeOptions.maxBytes, tally)),
          ContentType: writeOptions.contentType ?? 'application/octet-stream',
        },
        partSize,
        queueSize,
        // On any failure the multipart upload is aborted: its parts are deleted, nothing is kept.
        leavePartsOnError: false,
        abortController,
      });
      try {
        if (writeOptions.signal?.aborted === true) throw writeOptions.signal.reason;
        await upload.done();
      } catch (error) {
        // The limit is the reason even when aborting the multipart upload failed as well.
        throw tally.tooLarge ?? error;
      } finally {
        writeOptions.signal?.removeEventListener('abort', onAbort);
      }
      return { sizeBytes: tally.sizeBytes, sha256: tally.hash.digest('hex') };
    },
    async *read(key: ObjectKey): AsyncIterable<Uint8Array> {
      const { s3, client } = await sdk();
      let response: GetObjectCommandOutput;
      try {
        response = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (isMissing(error)) throw new StorageError('object-not-found', 'No such object', { cause: error });
        throw error;
      }
      const stream = response.Body as Readable | undefined;
      if (stream === undefined) return;
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } finally {
        // Breaking out early must not leave the connection half-read.
        stream.destroy();
      }
    },
    async remove(key: ObjectKey): Promise<void> {
      const { s3, client } = await sdk();
      await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async exists(key: ObjectKey): Promise<boolean> {
      const { s3, client } = await sdk();
      try {
        await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },
    async move(from: ObjectKey, to: ObjectKey): Promise<void> {
      const { s3, client } = await sdk();
      try {
        // A copy inside the store (no bytes through this process), then the source goes.
        await client.send(
          new s3.CopyObjectCommand({
            Bucket: bucket,
            Key: to,
            CopySource: `${bucket}/${from}`,
            MetadataDirective: 'COPY',
          }),
        );
      } catch (error) {
        if (isMissing(error)) throw new StorageError('object-not-found', 'No such object', { cause: error });
        throw error;
      }
      await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: from }));
    },
    presign: {
      maxUploadBytes: largestSinglePutBytes,
      async upload(key: ObjectKey, presignOptions: PresignUploadOptions): Promise<PresignedRequest> {
        const { s3, getSignedUrl, signingClient } = await sdk();
        const url = await getSignedUrl(
          signingClient,
          new s3.PutObjectCommand({
            Bucket: bucket,
            Key: key,
            ContentLength: presignOptions.sizeBytes,
            ContentType: presignOptions.contentType,
          }),
          {
            expiresIn: presignOptions.expiresInSeconds,
            signingDate: presignOptions.now,
            // Length and type are part of the signature: the store refuses a body of another size.
            signableHeaders: new Set(['content-length', 'content-type']),
          },
        );
        return { url, headers: { 'content-type': presignOptions.contentType } };
      },
      async download(key: ObjectKey, presignOptions: PresignDownloadOptions): Promise<PresignedRequest> {
        const { s3, getSignedUrl, signingClient } = await sdk();
        const url = await getSignedUrl(
          signingClient,
          new s3.GetObjectCommand({
            Bucket: bucket,
            Key: key,
            ResponseContentType: presignOptions.contentType,
            ResponseContentDisposition: presignOptions.contentDisposition,
          }),
          { expiresIn: presignOptions.expiresInSeconds, signingDate: presignOptions.now },
        );
        return { url, headers: {} };
      },
    },
  };
}
