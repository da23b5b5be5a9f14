import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from './config-error.js';
import type { Environment } from './environment.js';

/**
 * An access key pair whose secret never appears in JSON, logs or `console.log` output.
 *
 * @example
 * ```ts
 * if (driver.kind === 's3' && driver.credentials !== undefined) console.log(driver.credentials.accessKeyId);
 * ```
 */
export interface StorageCredentials {
  /** The access key id (`S3_ACCESS_KEY_ID`). */
  readonly accessKeyId: string;
  /** The secret access key (`S3_SECRET_ACCESS_KEY`); serialised as `[redacted]`. */
  readonly secretAccessKey: string;
}

/**
 * Where uploaded files are kept.
 *
 * @example
 * ```ts
 * const driver: StorageDriverConfig = { kind: 'filesystem', root: '/var/lib/llmbatch/files' };
 * ```
 */
export type StorageDriverConfig =
  | {
      /** Files under a folder of this machine (or a shared mount). */
      kind: 'filesystem';
      /** Absolute path of the folder (`STORAGE_DIR`, default `<LLMBATCH_DATA_DIR>/files`). */
      root: string;
    }
  | {
      /** A bucket of S3 or any S3-compatible store. */
      kind: 's3';
      /** `S3_BUCKET`. */
      bucket: string;
      /** `S3_REGION`. */
      region: string;
      /** `S3_ENDPOINT`, for S3-compatible stores; unset means AWS S3. */
      endpoint: string | undefined;
      /** `S3_PUBLIC_ENDPOINT`: the store's address in presigned URLs when clients reach it elsewhere. */
      publicEndpoint: string | undefined;
      /** `S3_FORCE_PATH_STYLE`. */
      forcePathStyle: boolean;
      /** `S3_ACCESS_KEY_ID` + `S3_SECRET_ACCESS_KEY`; unset means the AWS SDK's provider chain. */
      credentials: StorageCredentials | undefined;
    };

/**
 * Storage settings of the server, from the environment.
 *
 * @example
 * ```ts
 * const { storage } = await loadConfig(process.env);
 * if (storage?.driver.kind === 's3') console.log(storage.driver.bucket);
 * ```
 */
export interface StorageConfig {
  /** Which store, and how to reach it (`STORAGE_DRIVER`). */
  driver: StorageDriverConfig;
  /** Largest accepted upload, in bytes (`MAX_UPLOAD_BYTES`, default 1 GiB). */
  maxUploadBytes: number;
  /** Longest lifetime of a signed upload or download URL, in seconds (`SIGNED_URL_TTL_SECONDS`, default 900). */
  signedUrlTtlSeconds: number;
  /**
   * Base of the signed URLs this server serves itself (filesystem driver): `PUBLIC_URL` when set,
   * otherwise `undefined` and the URL is built from the request's own origin.
   */
  signedUrlBase: string | undefined;
}

const redacted = '[redacted]';

/**
 * An access key pair that prints its secret as `[redacted]` in `JSON.stringify`, pino and
 * `util.inspect`, so a logged configuration never carries it.
 *
 * @example
 * ```ts
 * JSON.stringify(storageCredentials('AKIA…', 'secret')); // {"accessKeyId":"AKIA…","secretAccessKey":"[redacted]"}
 * ```
 */
export function storageCredentials(accessKeyId: string, secretAccessKey: string): StorageCredentials {
  const shown = { accessKeyId, secretAccessKey: redacted };
  const credentials = { accessKeyId };
  Object.defineProperties(credentials, {
    secretAccessKey: { value: secretAccessKey, enumerable: false },
    toJSON: { value: () => shown, enumerable: false },
    [inspect.custom]: { value: () => shown, enumerable: false },
  });
  return credentials as StorageCredentials;
}

/**
 * The storage part of the configuration: driver, upload limit and signed-URL lifetime. S3 needs a
 * bucket, and its key pair comes whole or not at all; a {@link ConfigError} names what is missing.
 *
 * @example
 * ```ts
 * const storage = storageConfigFrom(environmentSchema.parse(process.env), '/var/lib/llmbatch');
 * ```
 */
export function storageConfigFrom(env: Environment, dataDirectory: string): StorageConfig {
  const common = {
    maxUploadBytes: env.MAX_UPLOAD_BYTES,
    signedUrlTtlSeconds: env.SIGNED_URL_TTL_SECONDS,
    signedUrlBase: env.PUBLIC_URL?.replace(/\/+$/, ''),
  };
  if (env.STORAGE_DRIVER === 'filesystem') {
    return {
      ...common,
      driver: { kind: 'filesystem', root: resolve(dataDirectory, env.STORAGE_DIR ?? 'files') },
    };
  }
  const missing: string[] = [];
  if (env.S3_BUCKET === undefined) missing.push('S3_BUCKET');
  if (env.S3_ACCESS_KEY_ID !== undefined && env.S3_SECRET_ACCESS_KEY === undefined)
    missing.push('S3_SECRET_ACCESS_KEY');
  if (env.S3_SECRET_ACCESS_KEY !== undefined && env.S3_ACCESS_KEY_ID === undefined)
    missing.push('S3_ACCESS_KEY_ID');
  if (env.S3_BUCKET === undefined || missing.length > 0) {
    throw new ConfigError({
      message: `STORAGE_DRIVER=s3 needs ${missing.join(' and ')}. Set ${missing.length === 1 ? 'it' : 'them'} in the environment; see docs/server.md.`,
      missing,
    });
  }
  return {
    ...common,
    driver: {
      kind: 's3',
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      publicEndpoint: env.S3_PUBLIC_ENDPOINT,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
      credentials:
        env.S3_ACCESS_KEY_ID === undefined || env.S3_SECRET_ACCESS_KEY === undefined
          ? undefined
          : storageCredentials(env.S3_ACCESS_KEY_ID, env.S3_SECRET_ACCESS_KEY),
    },
  };
}
