import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logging/logger.js';
import { createServer } from '../../src/server.js';
import { createStorage } from '../../src/storage/create-storage.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import { createTestDatabase, type DatabaseKind } from './databases.js';
import { startSmtpSink } from './smtp-sink.js';
import { relaxedLimits, type TestResponse, type TestServer } from './test-server.js';

/**
 * Like `startTestServer`, with the storage the test names and a clock that follows real time
 * (S3 presigned URLs are checked by the store against its own clock) and can be moved by `advance`.
 * The storage comes from the configuration (`environment`) unless one is given.
 */
export async function startStorageTestServer(
  kind: DatabaseKind,
  options: { storage?: StorageDriver; environment?: Record<string, string> } = {},
): Promise<TestServer> {
  const database = await createTestDatabase(kind);
  const smtp = await startSmtpSink();
  const dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-storage-test-'));
  const config = await loadConfig({
    NODE_ENV: 'test',
    LLMBATCH_DATA_DIR: dataDirectory,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SMTP_URL: smtp.url,
    APP_URL: 'https://app.example.test',
    LOG_LEVEL: 'debug',
    ...options.environment,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  let offsetMs = 0;
  const server = await createServer({
    config,
    database: database.database,
    clock: { now: () => new Date(Date.now() + offsetMs) },
    logger: createLogger({ level: 'debug', destination }),
    passwordHashing: { cost: 1024 },
    attemptLimits: relaxedLimits,
    storage: options.storage ?? createStorage(config),
    ...(config.storage === undefined ? {} : { maxUploadBytes: config.storage.maxUploadBytes }),
  });
  await server.ready();
  return {
    server,
    database,
    smtp,
    logs,
    get now() {
      return new Date(Date.now() + offsetMs);
    },
    advance(milliseconds) {
      offsetMs += milliseconds;
    },
    async request<Body>(
      method: string,
      url: string,
      requestOptions: { token?: string; org?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<TestResponse<Body>> {
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (requestOptions.token !== undefined) headers.authorization = `Bearer ${requestOptions.token}`;
      if (requestOptions.org !== undefined) headers['llmbatch-org'] = requestOptions.org;
      const response = await server.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(requestOptions.body === undefined ? {} : { payload: requestOptions.body as string }),
      });
      const text = response.body;
      const json = response.headers['content-type']?.toString().includes('json') === true;
      return {
        status: response.statusCode,
        body: (text === '' ? undefined : json ? JSON.parse(text) : text) as Body,
        headers: response.headers,
      };
    },
    async close() {
      await server.stop();
      await database.dispose();
      await smtp.close();
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}
