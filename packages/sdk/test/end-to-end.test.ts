import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeProvider, startFakeProvider } from '@llmbatch/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  createClient,
  type JobEvent,
  type LLMBatchClient,
  NotFoundError,
  PermissionDeniedError,
} from '../src/index.js';
import { type LocalServer, startLocalServer } from './support/local-server.js';

let server: LocalServer;
let fake: FakeProvider;
let directory: string;
/** The API token client the first test leaves for the jobs test. */
let ci: LLMBatchClient | undefined;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmbatch-sdk-e2e-files-'));
  fake = await startFakeProvider({ latencyMs: 5 });
  server = await startLocalServer();
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  await rm(directory, { recursive: true, force: true });
});

function csv(rows: number): string {
  return `id,text\n${Array.from({ length: rows }, (_, index) => `${index},row ${index}`).join('\n')}\n`;
}

describe('the SDK against the real server (embedded PGlite)', () => {
  it('signs up, verifies, logs in, creates an API token and provider keys, lists them and the orgs', async () => {
    const email = 'ada@example.test';
    const password = 'correct horse battery staple';
    const anonymous = createClient({ baseUrl: server.url });

    await expect(
      anonymous.auth.signUp({ email, password, name: 'Ada', orgName: 'Analytical Engines' }),
    ).resolves.toMatchObject({ status: 'accepted' });
    await expect(anonymous.auth.logIn({ email, password })).rejects.toMatchObject({
      status: 403,
      code: 'email-not-verified',
    });
    const verified = await anonymous.auth.verifyEmail({
      token: await server.mailedToken(email, /Confirm your email/),
    });
    expect(verified).toEqual({ emailVerified: true });

    const session = await anonymous.auth.logIn({ email, password });
    expect(session.tokenType).toBe('Bearer');
    const user = createClient({ baseUrl: server.url, getToken: () => session.accessToken });
    const { data: orgs } = await user.orgs.list();
    expect(orgs.map((org) => [org.name, org.role])).toEqual([['Analytical Engines', 'owner']]);
    const orgId = orgs[0]?.id ?? '';

    const created = await user.withOrg(orgId).apiTokens.create({ name: 'ci', role: 'admin' });
    expect(created.token).toMatch(/^lbk_/);
    expect(created.apiToken).toMatchObject({ name: 'ci', role: 'admin' });

    // From here on only API tokens: they imply their organisation.
    const jobsToken = await user.withOrg(orgId).apiTokens.create({ name: 'jobs', role: 'admin' });
    ci = createClient({ baseUrl: server.url, apiKey: jobsToken.token });
    const revoked = createClient({ baseUrl: server.url, apiKey: created.token });
    const names = ['openai one', 'openai two', 'anthropic'];
    for (const name of names) {
      await ci.providerKeys.create({
        name,
        provider: name.startsWith('openai') ? 'openai' : 'anthropic',
        apiKey: `sk-${name.replaceAll(' ', '-')}-0123456789`,
      });
    }
    const pages: number[] = [];
    for await (const page of ci.providerKeys.list({ limit: 2 }).pages()) pages.push(page.data.length);
    expect(pages).toEqual([2, 1]);
    const keys = await ci.providerKeys.list({ limit: 2 }).toArray();
    expect(keys.map((key) => key.name).sort()).toEqual([...names].sort());
    expect(JSON.stringify(keys)).not.toContain('sk-openai-one-0123456789');

    const tokens = await user.apiTokens.list({}, { orgId }).toArray();
    expect(tokens.map((token) => token.name).sort()).toEqual(['ci', 'jobs']);

    const missing = '00000000-0000-4000-8000-000000000000';
    await expect(ci.providerKeys.get(missing)).rejects.toBeInstanceOf(NotFoundError);
    await expect(ci.orgs.create({ name: 'Not with a token' })).rejects.toBeInstanceOf(PermissionDeniedError);

    await user.apiTokens.revoke(created.apiToken.id, { orgId });
    const error = await revoked.providerKeys
      .list()
      .toArray()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      code: 'unauthenticated',
      message: expect.stringMatching(/^The API token is not/),
    });
    expect((error as AuthenticationError).requestId).toMatch(/\S/);
  });

  it('uploads a CSV from a path, runs a job to the end following its events, streams the results, cancels another', async () => {
    if (ci === undefined) throw new Error('the first test creates the API token');
    const client = ci;
    const path = join(directory, 'reviews.csv');
    await writeFile(path, csv(5));
    const file = await client.files.upload(path);
    expect(file).toMatchObject({ name: 'reviews.csv', format: 'csv', sizeBytes: csv(5).length });
    expect((await client.files.list().toArray()).map((listed) => listed.id)).toEqual([file.id]);
    const downloaded = await new Response(await client.files.download(file.id)).text();
    expect(downloaded).toBe(csv(5));

    const key = await client.providerKeys.create({
      name: 'fake',
      provider: 'openai-compatible',
      baseUrl: `${fake.url}/v1`,
      apiKey: 'sk-fake-e2e-0123456789',
    });
    const job = await client.jobs.create({
      fileId: file.id,
      providerKeyId: key.id,
      model: 'fake-model',
      prompt: 'Say {{text}}',
    });
    expect(job.status).toBe('queued');

    const events: JobEvent['type'][] = [];
    for await (const event of client.jobs.events(job.id)) events.push(event.type);
    expect(events.at(0)).toBe('status');
    expect(events.at(-1)).toBe('end');
    const done = await client.jobs.get(job.id);
    expect(done).toMatchObject({ status: 'completed', counts: { total: 5, succeeded: 5, failed: 0 } });

    const rows = [];
    for await (const row of client.jobs.results(job.id)) rows.push(row);
    expect(rows.map((row) => [row.index, row.status])).toEqual([0, 1, 2, 3, 4].map((index) => [index, 'ok']));
    expect(JSON.stringify(rows[3]?.value)).toContain('row 3');

    const big = await client.files.upload(new Blob([csv(400)]), { name: 'big.csv' });
    const slow = await client.jobs.create({
      fileId: big.id,
      providerKeyId: key.id,
      model: 'fake-model',
      prompt: 'Say {{text}}',
      concurrency: 1,
    });
    await client.jobs.cancel(slow.id);
    const progress: number[] = [];
    const cancelled = await client.jobs.wait(slow.id, {
      onProgress: (counts) => progress.push(counts.succeeded),
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.counts.succeeded).toBeLessThan(400);
    expect((await client.jobs.list({ status: 'completed' }).toArray()).map((listed) => listed.id)).toEqual([
      job.id,
    ]);
  });

  it('retries the failed units of a finished job and downloads the results as CSV', async () => {
    if (ci === undefined) throw new Error('the first test creates the API token');
    const client = ci;
    const file = await client.files.upload(new Blob([csv(6)]), { name: 'retry.csv' });
    const key = await client.providerKeys.create({
      name: 'fake-retry',
      provider: 'openai-compatible',
      baseUrl: `${fake.url}/v1`,
      apiKey: 'sk-fake-e2e-retry-0123456789',
    });
    fake.setRespond((request) => (request.userText.includes('row 2') ? { status: 500 } : undefined));
    let job: Awaited<ReturnType<typeof client.jobs.get>>;
    try {
      const created = await client.jobs.create({
        fileId: file.id,
        providerKeyId: key.id,
        model: 'fake-model',
        prompt: 'Say {{text}}',
      });
      job = await client.jobs.wait(created.id);
    } finally {
      fake.setRespond(undefined);
    }
    expect(job.status).toBe('completed');
    expect(job.counts).toMatchObject({ total: 6, succeeded: 5, failed: 1 });
    const queued = await client.jobs.retryFailed(job.id);
    expect(queued).toMatchObject({ status: 'queued', retries: 1 });
    const retried = await client.jobs.wait(job.id);
    expect(retried.counts).toEqual({ total: 6, succeeded: 6, failed: 0, errors: {} });
    const text = await new Response(await client.jobs.resultsCsv(job.id)).text();
    const lines = text.trim().split('\r\n');
    expect(lines[0]?.split(',').slice(0, 3)).toEqual(['key', 'index', 'status']);
    expect(lines.slice(1).map((line) => line.split(',').slice(1, 3).join(','))).toEqual(
      [0, 1, 2, 3, 4, 5].map((index) => `${index},ok`),
    );
    await expect(client.jobs.retryFailed(job.id)).rejects.toMatchObject({ status: 409 });
    const usage = await client.usage.get();
    const fakeModel = usage.rows.find((row) => row.model === 'fake-model');
    expect(fakeModel?.retried).toBe(1);
    expect(fakeModel?.jobs).toBeGreaterThanOrEqual(1);
    expect(usage.total.cost).toBeNull();
  });
});
