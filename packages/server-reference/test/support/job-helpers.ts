import { randomBytes } from 'node:crypto';
import { type FakeProvider, startFakeProvider } from '@llmbatch/core/testing';
import pino from 'pino';
import { createWorker, type Worker, type WorkerOptions } from '../../src/worker/create-worker.js';
import type { DatabaseKind } from './databases.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './test-server.js';

/** A job as the API returns it (the fields tests read). */
export interface JobBody {
  id: string;
  status: string;
  counts: { total: number | null; succeeded: number; failed: number; errors: Record<string, number> };
  usage: { inputTokens: number; outputTokens: number; pricingVersions: string[] };
  cost: number | null;
  retries: number;
  error: { code: string; message: string } | null;
}

/** One line of a results download. */
export interface ResultLineBody {
  index: number;
  status: 'ok' | 'error';
  value: unknown;
  error: { code: string; message: string } | null;
}

/** Uploads `csv` as a file of `user`'s organisation; returns its id. */
export async function uploadCsv(test: TestServer, user: TestUser, csv: string): Promise<string> {
  const response = await test.request<{ id: string }>('POST', '/v1/files?name=input.csv', {
    token: user.accessToken,
    org: user.orgId,
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  if (response.status !== 201)
    throw new Error(`upload answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** Stores an openai-compatible provider key pointing at `baseUrl`; returns its id. */
export async function createProviderKey(
  test: TestServer,
  user: TestUser,
  baseUrl: string,
  apiKey: string,
): Promise<string> {
  const response = await test.request<{ id: string }>('POST', '/v1/provider-keys', {
    token: user.accessToken,
    org: user.orgId,
    body: { name: 'fake', provider: 'openai-compatible', baseUrl, apiKey },
  });
  if (response.status !== 201)
    throw new Error(`key answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** A CSV of `rows` rows with columns id and text. */
export function numberedCsv(rows: number): string {
  return `id,text\n${Array.from({ length: rows }, (_, index) => `${index},row ${index}`).join('\n')}\n`;
}

/** Polls the job until `until` holds (every 50 ms), failing after `timeoutMs`. */
export async function pollJob(
  test: TestServer,
  user: TestUser,
  jobId: string,
  until: (job: JobBody) => boolean,
  timeoutMs = 20_000,
): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await test.request<JobBody>('GET', `/v1/jobs/${jobId}`, {
      token: user.accessToken,
      org: user.orgId,
    });
    if (until(response.body)) return response.body;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} still ${JSON.stringify(response.body)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Downloads the results of a job and parses the JSON lines. */
export async function readResultLines(
  test: TestServer,
  user: TestUser,
  jobId: string,
): Promise<ResultLineBody[]> {
  const response = await test.server.app.inject({
    method: 'GET',
    url: `/v1/jobs/${jobId}/results`,
    headers: { authorization: `Bearer ${user.accessToken}`, 'llmbatch-org': user.orgId },
  });
  if (response.statusCode !== 200) throw new Error(`results answered ${response.statusCode}`);
  if (response.headers['content-type'] !== 'application/x-ndjson')
    throw new Error('results are not JSON lines');
  return response.body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ResultLineBody);
}

/** Starts a worker of its own on the test server's database and storage (silent, polling every 100 ms). */
export function startTestWorker(
  test: TestServer,
  options: Omit<WorkerOptions, 'database' | 'storage' | 'keyRing' | 'logger'> = {},
): Worker {
  const worker = createWorker({
    database: test.database.database,
    storage: test.server.context.storage,
    keyRing: test.server.context.keyRing,
    logger: pino({ level: 'silent' }),
    pollIntervalMs: 100,
    ...options,
  });
  worker.start();
  return worker;
}

/** A test server with a fake provider, a user and a provider key pointing at the fake. */
export interface JobFixture {
  test: TestServer;
  fake: FakeProvider;
  owner: TestUser;
  keyId: string;
  /** Closes the server and the fake provider. */
  close(): Promise<void>;
}

/** Starts a {@link JobFixture} on `kind`: the fake answers after `latencyMs`; `owner` is named `name`. */
export async function startJobFixture(
  kind: DatabaseKind,
  options: { name: string; latencyMs: number; server?: Parameters<typeof startTestServer>[1] },
): Promise<JobFixture> {
  const fake = await startFakeProvider({ latencyMs: options.latencyMs });
  const test = await startTestServer(kind, options.server);
  const owner = await createUser(test, options.name);
  const keyId = await createProviderKey(
    test,
    owner,
    `${fake.url}/v1`,
    `sk-fake-${randomBytes(8).toString('hex')}`,
  );
  return {
    test,
    fake,
    owner,
    keyId,
    async close() {
      await test.close();
      await fake.close();
    },
  };
}
