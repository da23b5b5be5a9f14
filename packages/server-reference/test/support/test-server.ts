import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AttemptLimits } from '../../src/auth/attempt-limiter.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { RouteModule } from '../../src/http/create-app.js';
import { createLogger } from '../../src/logging/logger.js';
import type { Mailer } from '../../src/mail/mailer.js';
import { createServer, type LlmbatchServer, type ServerWorkerOptions } from '../../src/server.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/** A response, parsed. */
export interface TestResponse<Body = unknown> {
  status: number;
  body: Body;
  headers: Record<string, string | string[] | number | undefined>;
}

/** Options of one request. */
export interface RequestOptions {
  token?: string;
  org?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The client address the server sees. @default '127.0.0.1' */
  ip?: string;
}

/** A server on a database of its own, with an SMTP sink, a movable clock and captured logs. */
export interface TestServer {
  server: LlmbatchServer;
  database: TestDatabase;
  smtp: SmtpSink;
  /** Every log line written so far, raw. */
  logs: string[];
  /** The server's current time. */
  now: Date;
  /** Moves the server's clock forward. */
  advance(milliseconds: number): void;
  /** Sends a request through the server's HTTP stack; `Body` is what the test expects back. */
  request<Body = unknown>(method: string, url: string, options?: RequestOptions): Promise<TestResponse<Body>>;
  close(): Promise<void>;
}

/** Limits high enough that ordinary tests never hit them. */
export const relaxedLimits: AttemptLimits = {
  loginPerAccount: { max: 1000, windowMs: 60_000 },
  loginPerIp: { max: 1000, windowMs: 60_000 },
  mailPerAccount: { max: 1000, windowMs: 60_000 },
  mailPerIp: { max: 1000, windowMs: 60_000 },
  tokenPerIp: { max: 1000, windowMs: 60_000 },
};

/**
 * Starts a test server on `kind`. Its clock stands still at 2026-03-01 (moved by `advance`) unless
 * `realClock` (S3 presigned URLs are checked by the store against its own clock); its storage comes
 * from the configuration (`environment`) unless `storage` is given.
 */
export async function startTestServer(
  kind: DatabaseKind,
  options: {
    attemptLimits?: Partial<AttemptLimits>;
    mailer?: Mailer;
    environment?: Record<string, string>;
    extraRoutes?: RouteModule[];
    maxUploadBytes?: number;
    worker?: ServerWorkerOptions;
    storage?: StorageDriver;
    realClock?: boolean;
  } = {},
): Promise<TestServer> {
  const database = await createTestDatabase(kind);
  const smtp = await startSmtpSink();
  const dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-server-test-'));
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
  const start = options.realClock === true ? undefined : new Date('2026-03-01T12:00:00.000Z').getTime();
  let offsetMs = 0;
  const currentTime = () => new Date((start ?? Date.now()) + offsetMs);
  const server = await createServer({
    config,
    database: database.database,
    clock: { now: currentTime },
    logger: createLogger({ level: 'debug', destination }),
    passwordHashing: { cost: 1024 },
    attemptLimits: { ...relaxedLimits, ...options.attemptLimits },
    ...(options.mailer === undefined ? {} : { mailer: options.mailer }),
    ...(options.extraRoutes === undefined ? {} : { extraRoutes: options.extraRoutes }),
    ...(options.maxUploadBytes === undefined ? {} : { maxUploadBytes: options.maxUploadBytes }),
    ...(options.worker === undefined ? {} : { worker: options.worker }),
    ...(options.storage === undefined ? {} : { storage: options.storage }),
  });
  await server.ready();
  return {
    server,
    database,
    smtp,
    logs,
    get now() {
      return currentTime();
    },
    advance(milliseconds) {
      offsetMs += milliseconds;
    },
    async request<Body>(method: string, url: string, requestOptions: RequestOptions = {}) {
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (requestOptions.token !== undefined) headers.authorization = `Bearer ${requestOptions.token}`;
      if (requestOptions.org !== undefined) headers['llmbatch-org'] = requestOptions.org;
      const response = await server.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(requestOptions.ip === undefined ? {} : { remoteAddress: requestOptions.ip }),
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

/** The body of a successful login. */
export interface LoginBody {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
  user: { id: string; email: string; emailVerified: boolean };
}

/** The body of every error. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

/** A signed-up, verified, logged-in user. */
export interface TestUser {
  email: string;
  password: string;
  userId: string;
  orgId: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;

/** Signs up through the API, follows the mailed link, logs in. */
export async function createUser(test: TestServer, label = 'user'): Promise<TestUser> {
  counter += 1;
  const email = `${label}-${counter}-${randomBytes(3).toString('hex')}@example.test`;
  const password = `password-${randomBytes(8).toString('hex')}`;
  const signup = await test.request('POST', '/v1/auth/signup', { body: { email, password, name: label } });
  if (signup.status !== 202)
    throw new Error(`signup answered ${signup.status}: ${JSON.stringify(signup.body)}`);
  const mail = await test.smtp.waitForMail(email, /Confirm your email/);
  const verify = await test.request('POST', '/v1/auth/verify-email', {
    body: { token: test.smtp.tokenFrom(mail) },
  });
  if (verify.status !== 200)
    throw new Error(`verify answered ${verify.status}: ${JSON.stringify(verify.body)}`);
  const login = await test.request<LoginBody>('POST', '/v1/auth/login', { body: { email, password } });
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  const me = await test.request<{ memberships: { orgId: string }[] }>('GET', '/v1/me', {
    token: login.body.accessToken,
  });
  const orgId = me.body.memberships[0]?.orgId;
  if (orgId === undefined) throw new Error('a new user has no organisation');
  return {
    email,
    password,
    userId: login.body.user.id,
    orgId,
    accessToken: login.body.accessToken,
    refreshToken: login.body.refreshToken,
  };
}
