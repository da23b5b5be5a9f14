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
  readonly kind: 'filesystem' | 'custom';
  /** Streams `body` into the object at `key`, atomically: on any failure nothing is left behind. */
  write(key: ObjectKey, body: AsyncIterable<Uint8Array>, options: WriteOptions): Promise<StoredObject>;
  /** The object's bytes, streamed; fails with `object-not-found` on first read when it is missing. */
  read(key: ObjectKey): AsyncIterable<Uint8Array>;
  /** Removes the object; removing a missing one is not an error. */
  remove(key: ObjectKey): Promise<void>;
  /** True when an object exists at `key`. */
  exists(key: ObjectKey): Promise<boolean>;
}
