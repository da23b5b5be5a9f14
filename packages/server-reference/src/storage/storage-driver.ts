const marker = Symbol.for('llmbatch.server.storage-error');
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a storage operation failed. */
export type StorageErrorCode = 'object-too-large' | 'object-not-found' | 'invalid-key';

/**
 * A failed storage operation, with a code to switch on.
 *
 * @example
 * ```ts
 * if (StorageError.isInstance(error) && error.code === 'object-too-large') reply.status(413);
 * ```
 */
export class StorageError extends Error {
  readonly [marker] = true;
  /** What went wrong. */
  readonly code: StorageErrorCode;
  /** Facts safe to show a caller (the limit, never a path). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: StorageErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.details = options.details;
  }

  /**
   * True when `value` is a {@link StorageError}, even from another copy of this package.
   *
   * @example
   * ```ts
   * StorageError.isInstance(new StorageError('invalid-key', 'bad')); // true
   * ```
   */
  static isInstance(value: unknown): value is StorageError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}

/**
 * Where an object lives in a store: built only by {@link objectKeyFor} from server-side ids, never
 * from anything a client sent, so no route can name another organisation's object.
 */
export type ObjectKey = string & { readonly __objectKey: true };

/**
 * The key of object `objectId` of organisation `orgId`: `orgs/<orgId>/objects/<objectId>`.
 * Both must be lowercase UUIDs.
 *
 * @example
 * ```ts
 * const key = objectKeyFor(org.id, file.id);
 * ```
 */
export function objectKeyFor(orgId: string, objectId: string): ObjectKey {
  if (!uuidPattern.test(orgId) || !uuidPattern.test(objectId)) {
    throw new StorageError(
      'invalid-key',
      'Object keys are built from an organisation id and an object id (UUIDs)',
    );
  }
  return `orgs/${orgId}/objects/${objectId}` as ObjectKey;
}

/**
 * The key a signed upload writes to before it is completed: `orgs/<orgId>/uploads/<uploadId>`. Like
 * {@link objectKeyFor} it is built from two server-side UUIDs only. Completing the upload moves the
 * object to its {@link objectKeyFor} key, out of reach of the (still valid) upload URL, so a file
 * never changes after it was checked.
 *
 * @example
 * ```ts
 * const staged = uploadKeyFor(org.id, fileId);
 * await storage.move(staged, objectKeyFor(org.id, fileId));
 * ```
 */
export function uploadKeyFor(orgId: string, uploadId: string): ObjectKey {
  if (!uuidPattern.test(orgId) || !uuidPattern.test(uploadId)) {
    throw new StorageError(
      'invalid-key',
      'Upload keys are built from an organisation id and an upload id (UUIDs)',
    );
  }
  return `orgs/${orgId}/uploads/${uploadId}` as ObjectKey;
}

/** What {@link StorageDriver.write} stored. */
export interface StoredObject {
  /** Bytes written. */
  sizeBytes: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
}

/** Options of {@link StorageDriver.write}. */
export interface WriteOptions {
  /** Most bytes accepted; the write fails with `object-too-large` and stores nothing beyond it. */
  maxBytes: number;
  /** Aborts the write (nothing is stored). */
  signal?: AbortSignal;
  /** Media type kept with the object (S3 serves it back). @default 'application/octet-stream' */
  contentType?: string;
}

/**
 * A request a client sends straight to the object store, without the API in between.
 *
 * @example
 * ```ts
 * await fetch(request.url, { method: 'PUT', headers: request.headers, body: file });
 * ```
 */
export interface PresignedRequest {
  /** The signed URL; it grants exactly one operation on one object until it expires. */
  url: string;
  /** Headers the request must carry as given (they are part of the signature). */
  headers: Record<string, string>;
}

/**
 * Options of {@link PresignedUrls.upload}.
 *
 * @example
 * ```ts
 * const options: PresignUploadOptions = { sizeBytes: 52_011, contentType: 'text/csv', expiresInSeconds: 900, now: new Date() };
 * ```
 */
export interface PresignUploadOptions {
  /** Exact size of the body in bytes; the store refuses any other length. */
  sizeBytes: number;
  /** The media type the client must send. */
  contentType: string;
  /** Lifetime of the URL, in seconds. */
  expiresInSeconds: number;
  /** The moment the lifetime starts (the server's clock). */
  now: Date;
}

/**
 * Options of {@link PresignedUrls.download}.
 *
 * @example
 * ```ts
 * const options: PresignDownloadOptions = { expiresInSeconds: 300, now: new Date(), contentType: 'text/csv', contentDisposition: 'attachment; filename="a.csv"' };
 * ```
 */
export interface PresignDownloadOptions {
  /** Lifetime of the URL, in seconds. */
  expiresInSeconds: number;
  /** The moment the lifetime starts (the server's clock). */
  now: Date;
  /** `Content-Type` the store answers with. */
  contentType: string;
  /** `Content-Disposition` the store answers with, e.g. `attachment; filename="reviews.csv"`. */
  contentDisposition: string;
}

/**
 * Time-limited URLs signed for the object store itself (S3 presigned URLs), so clients move bytes
 * without the API in between. Drivers without them get URLs signed by the server instead.
 *
 * @example
 * ```ts
 * const put = await storage.presign?.upload(uploadKeyFor(orgId, fileId), { sizeBytes, contentType: 'text/csv', expiresInSeconds: 900, now: new Date() });
 * ```
 */
export interface PresignedUrls {
  /** A URL for one `PUT` of exactly `sizeBytes` bytes to `key`. */
  upload(key: ObjectKey, options: PresignUploadOptions): Promise<PresignedRequest>;
  /** A URL for `GET`ting the object at `key`. */
  download(key: ObjectKey, options: PresignDownloadOptions): Promise<PresignedRequest>;
  /** Largest body one presigned `PUT` may carry (S3: 5 GiB). */
  readonly maxUploadBytes: number;
}

/**
 * Where uploaded files live. Every operation streams; nothing holds a whole object in memory.
 *
 * @example
 * ```ts
 * const storage = createFilesystemStorage({ root: './.llmbatch-data/files' });
 * await storage.write(objectKeyFor(orgId, fileId), request.raw, { maxBytes: 100 * 1024 * 1024 });
 * for await (const chunk of storage.read(objectKeyFor(orgId, fileId))) process.stdout.write(chunk);
 * ```
 */
export interface StorageDriver {
  /** Which implementation this is. */
  readonly kind: 'filesystem' | 's3' | 'custom';
  /** Streams `body` into the object at `key`, atomically: on any failure nothing is left behind. */
  write(key: ObjectKey, body: AsyncIterable<Uint8Array>, options: WriteOptions): Promise<StoredObject>;
  /** The object's bytes, streamed; fails with `object-not-found` on first read when it is missing. */
  read(key: ObjectKey): AsyncIterable<Uint8Array>;
  /** Removes the object; removing a missing one is not an error. */
  remove(key: ObjectKey): Promise<void>;
  /** True when an object exists at `key`. */
  exists(key: ObjectKey): Promise<boolean>;
  /**
   * Moves the object at `from` to `to`, replacing what is there; fails with `object-not-found` when
   * `from` is missing. Optional: without it an object is copied through `read` and `write`.
   */
  move?(from: ObjectKey, to: ObjectKey): Promise<void>;
  /** Signed URLs served by the store itself, when it has them (S3). */
  readonly presign?: PresignedUrls;
}
