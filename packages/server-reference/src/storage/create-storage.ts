import { join } from 'node:path';
import type { ServerConfig } from '../config/load-config.js';
import { createFilesystemStorage } from './filesystem-storage.js';
import { createS3Storage } from './s3-storage.js';
import type { StorageDriver } from './storage-driver.js';

/**
 * The storage driver the configuration names (`STORAGE_DRIVER`): the filesystem under
 * `STORAGE_DIR` (default `<data dir>/files`), or an S3 bucket. The API, every worker and the `all`
 * mode build their storage here, so they always agree on where files are.
 *
 * @example
 * ```ts
 * const config = await loadConfig(process.env);
 * const server = await createServer({ config, storage: createStorage(config) });
 * ```
 */
export function createStorage(config: ServerConfig): StorageDriver {
  const driver = config.storage?.driver ?? {
    kind: 'filesystem',
    root: join(config.dataDirectory, 'files'),
  };
  if (driver.kind === 'filesystem') return createFilesystemStorage({ root: driver.root });
  return createS3Storage({
    bucket: driver.bucket,
    region: driver.region,
    forcePathStyle: driver.forcePathStyle,
    ...(driver.endpoint === undefined ? {} : { endpoint: driver.endpoint }),
    ...(driver.publicEndpoint === undefined ? {} : { publicEndpoint: driver.publicEndpoint }),
    ...(driver.credentials === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: driver.credentials.accessKeyId,
            secretAccessKey: driver.credentials.secretAccessKey,
          },
        }),
  });
}
