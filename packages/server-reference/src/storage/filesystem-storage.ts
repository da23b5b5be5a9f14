import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type ObjectKey,
  type StorageDriver,
  StorageError,
  type StoredObject,
  type WriteOptions,
} from './storage-driver.js';

/** Options of {@link createFilesystemStorage}. */
export interface FilesystemStorageOptions {
  /** Folder every object is kept under (created when missing). */
  root: string;
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

/**
 * Keeps objects as files under `root` (`root/orgs/<orgId>/objects/<objectId>`). A write goes to a
 * temporary file that is renamed into place only when complete and within the size limit.
 *
 * @example
 * ```ts
 * const storage = createFilesystemStorage({ root: join(config.dataDirectory, 'files') });
 * ```
 */
export function createFilesystemStorage(options: FilesystemStorageOptions): StorageDriver {
  const pathOf = (key: ObjectKey) => join(options.root, ...key.split('/'));
  return {
    kind: 'filesystem',
    async write(
      key: ObjectKey,
      body: AsyncIterable<Uint8Array>,
      writeOptions: WriteOptions,
    ): Promise<StoredObject> {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      const partial = `${target}.partial-${randomBytes(6).toString('hex')}`;
      const hash = createHash('sha256');
      let sizeBytes = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          sizeBytes += chunk.length;
          if (sizeBytes > writeOptions.maxBytes) {
            callback(
              new StorageError(
                'object-too-large',
                `The upload exceeds the limit of ${writeOptions.maxBytes} bytes`,
                {
                  details: { maxBytes: writeOptions.maxBytes },
                },
              ),
            );
            return;
          }
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      try {
        const destination = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
        await (writeOptions.signal === undefined
          ? pipeline(body, meter, destination)
          : pipeline(body, meter, destination, { signal: writeOptions.signal }));
        await rename(partial, target);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return { sizeBytes, sha256: hash.digest('hex') };
    },
    async *read(key: ObjectKey): AsyncIterable<Uint8Array> {
      const stream = createReadStream(pathOf(key));
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (error) {
        if (isMissing(error)) throw new StorageError('object-not-found', 'No such object', { cause: error });
        throw error;
      } finally {
        stream.destroy();
      }
    },
    async remove(key: ObjectKey): Promise<void> {
      await rm(pathOf(key), { force: true });
    },
    async exists(key: ObjectKey): Promise<boolean> {
      try {
        return (await stat(pathOf(key))).isFile();
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },
    async move(from: ObjectKey, to: ObjectKey): Promise<void> {
      const target = pathOf(to);
      await mkdir(dirname(target), { recursive: true });
      try {
        // Atomic within one file system: a reader sees the old object or the new one, never a mix.
        await rename(pathOf(from), target);
      } catch (error) {
        if (isMissing(error)) throw new StorageError('object-not-found', 'No such object', { cause: error });
        throw error;
      }
    },
  };
}
