import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { createStorage } from '../storage/create-storage.js';
import { objectKeyFor } from '../storage/storage-driver.js';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';

let dataDirectory: string;
beforeEach(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-storage-config-'));
});
afterEach(async () => {
  await rm(dataDirectory, { recursive: true, force: true });
});

const secrets = {
  JWT_SECRET: 'j'.repeat(40),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
};

async function configError(
  environment: Record<string, string>,
  base: Record<string, string> = secrets,
): Promise<ConfigError> {
  try {
    await loadConfig({ LLMBATCH_DATA_DIR: dataDirectory, ...base, ...environment });
  } catch (error) {
    if (ConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('storage configuration', () => {
  it('defaults to the filesystem under the data directory, 1 GiB uploads and 15-minute URLs', async () => {
    const config = await loadConfig({ LLMBATCH_DATA_DIR: dataDirectory, ...secrets });
    expect(config.storage).toEqual({
      driver: { kind: 'filesystem', root: join(dataDirectory, 'files') },
      maxUploadBytes: 1024 ** 3,
      signedUrlTtlSeconds: 900,
      signedUrlBase: undefined,
    });
    expect(createStorage(config).kind).toBe('filesystem');
  });

  it('stores files under STORAGE_DIR, relative to the data directory', async () => {
    const config = await loadConfig({
      LLMBATCH_DATA_DIR: dataDirectory,
      ...secrets,
      STORAGE_DIR: 'uploads-here',
      MAX_UPLOAD_BYTES: '5000',
      SIGNED_URL_TTL_SECONDS: '60',
      PUBLIC_URL: 'https://api.example.test/',
    });
    expect(config.storage).toMatchObject({
      maxUploadBytes: 5000,
      signedUrlTtlSeconds: 60,
      signedUrlBase: 'https://api.example.test',
    });
    const orgId = randomUUID();
    await createStorage(config).write(
      objectKeyFor(orgId, randomUUID()),
      Readable.from([Buffer.from('id\n1\n')]),
      {
        maxBytes: 100,
      },
    );
    expect(await readdir(join(dataDirectory, 'uploads-here', 'orgs', orgId, 'objects'))).toHaveLength(1);
  });

  it('names what S3 is missing, and generates no secret before it is fixed', async () => {
    // Development would generate secrets into the data directory; a storage error stops it first.
    const noBucket = await configError({ STORAGE_DRIVER: 's3' }, {});
    expect(noBucket.missing).toEqual(['S3_BUCKET']);
    expect(noBucket.message).toBe(
      'STORAGE_DRIVER=s3 needs S3_BUCKET. Set it in the environment; see docs/server.md.',
    );
    const halfKey = await configError({
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'files',
      S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    });
    expect(halfKey.missing).toEqual(['S3_SECRET_ACCESS_KEY']);
    const otherHalf = await configError({
      STORAGE_DRIVER: 's3',
      S3_SECRET_ACCESS_KEY: 'very-secret-value',
    });
    expect(otherHalf.missing).toEqual(['S3_BUCKET', 'S3_ACCESS_KEY_ID']);
    expect(otherHalf.message).not.toContain('very-secret-value');
    await expect(readdir(dataDirectory)).resolves.toEqual([]);
  });

  it('names invalid storage variables without their values', async () => {
    const error = await configError({
      STORAGE_DRIVER: 'ftp',
      MAX_UPLOAD_BYTES: '-1',
      SIGNED_URL_TTL_SECONDS: '999999999',
      S3_ENDPOINT: 'not a url',
    });
    expect(error.invalid).toEqual([
      'STORAGE_DRIVER',
      'MAX_UPLOAD_BYTES',
      'SIGNED_URL_TTL_SECONDS',
      'S3_ENDPOINT',
    ]);
    expect(error.message).not.toContain('not a url');
  });

  it('builds the S3 driver, and the secret key never shows in JSON, inspect output or logs', async () => {
    const secret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    const config = await loadConfig({
      LLMBATCH_DATA_DIR: dataDirectory,
      ...secrets,
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'llmbatch-files',
      S3_REGION: 'eu-west-1',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      S3_SECRET_ACCESS_KEY: secret,
    });
    expect(config.storage?.driver).toMatchObject({
      kind: 's3',
      bucket: 'llmbatch-files',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      publicEndpoint: undefined,
      forcePathStyle: true,
    });
    const driver = config.storage?.driver;
    expect(driver?.kind === 's3' && driver.credentials?.secretAccessKey).toBe(secret);
    expect(createStorage(config).kind).toBe('s3');

    expect(JSON.stringify(config)).not.toContain(secret);
    expect(JSON.stringify(config)).toContain('"secretAccessKey":"[redacted]"');
    expect(inspect(config, { depth: 10 })).not.toContain(secret);
    const lines: string[] = [];
    const logger = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
    });
    logger.info({ config }, 'configuration');
    logger.flush();
    expect(lines.join('')).toContain('AKIAEXAMPLE');
    expect(lines.join('')).not.toContain(secret);
  });
});
