import { randomBytes } from 'node:crypto';
import { createPriceTable } from '@llmbatch/core';
import { type FakeProvider, startFakeProvider } from '@llmbatch/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import {
  createProviderKey,
  type JobBody,
  numberedCsv,
  pollJob,
  readResultLines,
  uploadCsv,
} from './support/job-helpers.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './support/test-server.js';

function parseEvents(text: string): { id: string; event: string; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('id: '))
    .map((block) => {
      const fields = Object.fromEntries(
        block
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      return {
        id: String(fields.id),
        event: String(fields.event),
        data: JSON.parse(String(fields.data)) as unknown,
      };
    });
}

describe.each(testDatabases())('jobs on %s', (kind) => {
  let test: TestServer;
  let fake: FakeProvider;
  let owner: TestUser;
  let stranger: TestUser;
  let keyId: string;
  const apiKey = `sk-fake-${randomBytes(16).toString('hex')}`;
  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 5 });
    test = await startTestServer(kind, {
      worker: { pollIntervalMs: 100, engineOptions: { retry: { maxRetries: 0 } } },
    });
    owner = await createUser(test, 'jobs');
    stranger = await createUser(test, 'jobs-stranger');
    keyId = await createProviderKey(test, owner, `${fake.url}/v1`, apiKey);
  });
  afterAll(async () => {
    await test?.close();
    await fake?.close();
  });

  const createJob = (user: TestUser, body: Record<string, unknown>, idempotencyKey?: string) =>
    test.request<JobBody>('POST', '/v1/jobs', {
      token: user.accessToken,
      org: user.orgId,
      body,
      ...(idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': idempotencyKey } }),
    });

  it('runs an uploaded CSV through the provider and returns every result in input order', async () => {
    const fileId = await uploadCsv(test, owner, numberedCsv(60));
    const before = fake.stats.received;
    const created = await createJob(owner, {
      fileId,
      providerKeyId: keyId,
      model: 'fake-model',
      prompt: 'Say {{text}}',
      concurrency: 8,
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      status: 'queued',
      counts: { total: null, succeeded: 0, failed: 0 },
    });

    // The queue holds ids only: no key, no prompt, no data.
    const { rows: queue } = await test.database.database.query('SELECT * FROM job_tasks');
    for (const row of queue)
      expect(Object.keys(row).sort()).toEqual([
        'attempts',
        'enqueued_at',
        'job_id',
        'lease_expires_at',
        'locked_by',
        'shard',
        'state',
      ]);
    expect(JSON.stringify(queue)).not.toContain(apiKey.slice(8));
    expect(JSON.stringify(queue)).not.toContain('row 1');

    const done = await pollJob(test, owner, created.body.id, (job) => job.status === 'completed');
    expect(done.counts).toEqual({ total: 60, succeeded: 60, failed: 0, errors: {} });
    expect(fake.stats.received - before).toBe(60);
    const lines = await readResultLines(test, owner, created.body.id);
    // Usage is summed from the ledger: the fake reports a token per four characters of prompt and answer.
    const { rows: usage } = await test.database.database.query<{ input: number; output: number }>(
      `SELECT sum((line::jsonb->'usage'->>'inputTokens')::int)::int AS input,
              sum((line::jsonb->'usage'->>'outputTokens')::int)::int AS output
         FROM job_result_batches, unnest(string_to_array(lines, E'\\n')) AS line WHERE job_id = $1`,
      [created.body.id],
    );
    expect(usage[0]?.input).toBeGreaterThan(60);
    expect(done.usage).toEqual({
      inputTokens: usage[0]?.input,
      outputTokens: usage[0]?.output,
      pricingVersions: [createPriceTable().pricingVersion],
    });
    // 'fake-model' has no price: the job's cost is unknown (null), never a silent 0.
    expect(done.cost).toBeNull();
    expect(lines.map((line) => line.index)).toEqual(Array.from({ length: 60 }, (_, index) => index));
    for (const line of lines) {
      expect(line.status).toBe('ok');
      expect(JSON.stringify(line.value)).toContain(`row ${line.index}`);
    }
    const listed = await test.request<{ data: JobBody[] }>('GET', '/v1/jobs?status=completed', {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(listed.body.data.map((job) => job.id)).toContain(created.body.id);
    const byFile = await test.request<{ data: JobBody[] }>('GET', `/v1/jobs?fileId=${fileId}`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(byFile.body.data.map((job) => job.id)).toEqual([created.body.id]);
    const { rows: remaining } = await test.database.database.query(
      'SELECT * FROM job_tasks WHERE job_id = $1',
      [created.body.id],
    );
    expect(remaining).toEqual([]);
  });

  it('keeps answers with characters Postgres jsonb refuses (\\u0000) and downloads them as JSON and CSV', async () => {
    fake.setRespond((request) =>
      request.userText.includes('row 1') ? { content: 'nul\u0000 and a lone \ud800 surrogate' } : undefined,
    );
    try {
      const fileId = await uploadCsv(test, owner, numberedCsv(3));
      const created = await createJob(owner, {
        fileId,
        providerKeyId: keyId,
        model: 'fake-model',
        prompt: 'Say {{text}}',
        output: 'text',
      });
      expect(created.status).toBe(202);
      const done = await pollJob(test, owner, created.body.id, (job) => job.status === 'completed');
      expect(done.counts).toMatchObject({ total: 3, succeeded: 3, failed: 0 });
      const lines = await readResultLines(test, owner, created.body.id);
      expect(lines.map((line) => line.index)).toEqual([0, 1, 2]);
      expect(lines[1]?.value).toBe('nul\u0000 and a lone \ud800 surrogate');
      const csv = await test.server.app.inject({
        method: 'GET',
        url: `/v1/jobs/${created.body.id}/results?format=csv`,
        headers: { authorization: `Bearer ${owner.accessToken}`, 'llmbatch-org': owner.orgId },
      });
      expect(csv.statusCode).toBe(200);
      expect(csv.body.split('\n')[2]).toContain('nul\u0000 and a lone');
    } finally {
      fake.setRespond(undefined);
    }
  });

  it('creates one job per Idempotency-Key and refuses the key for a different job', async () => {
    const fileId = await uploadCsv(test, owner, numberedCsv(3));
    const body = { fileId, providerKeyId: keyId, model: 'fake-model', prompt: 'Say {{text}}' };
    const key = `create-${randomBytes(4).toString('hex')}`;
    const first = await createJob(owner, body, key);
    const second = await createJob(owner, body, key);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const different = await createJob(owner, { ...body, prompt: 'Other {{text}}' }, key);
    expect(different.status).toBe(409);
    const invalid = await createJob(owner, { ...body, prompt: 'Say {{a b}}' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ error: { code: 'invalid-request', details: { field: 'prompt' } } });
    const { rows } = await test.database.database.query('SELECT id FROM jobs WHERE idempotency_key = $1', [
      key,
    ]);
    expect(rows).toHaveLength(1);
    // The same key in another organisation is another job.
    const strangerKey = await createProviderKey(test, stranger, `${fake.url}/v1`, apiKey);
    const strangerFile = await uploadCsv(test, stranger, numberedCsv(2));
    const theirs = await createJob(
      stranger,
      { ...body, fileId: strangerFile, providerKeyId: strangerKey },
      key,
    );
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(first.body.id);
    await pollJob(test, owner, first.body.id, (job) => job.status === 'completed');
    await pollJob(test, stranger, theirs.body.id, (job) => job.status === 'completed');
  });

  it('cancels a running job within seconds, keeps its partial results and stops calling the provider', async () => {
    fake.setLatency(200);
    try {
      const fileId = await uploadCsv(test, owner, numberedCsv(400));
      const created = await createJob(owner, {
        fileId,
        providerKeyId: keyId,
        model: 'fake-model',
        prompt: 'Say {{text}}',
        concurrency: 4,
      });
      await pollJob(test, owner, created.body.id, (job) => job.counts.succeeded >= 4);
      const started = Date.now();
      const cancel = await test.request<JobBody>('POST', `/v1/jobs/${created.body.id}/cancel`, {
        token: owner.accessToken,
        org: owner.orgId,
      });
      expect(cancel.status).toBe(202);
      expect(cancel.body.status).toBe('cancelling');
      const cancelled = await pollJob(
        test,
        owner,
        created.body.id,
        (job) => job.status === 'cancelled',
        5000,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      const received = fake.stats.received;
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(fake.stats.received).toBe(received);
      expect(fake.stats.inFlight).toBe(0);
      expect(cancelled.counts.succeeded).toBeGreaterThanOrEqual(4);
      expect(cancelled.counts.succeeded).toBeLessThan(400);
      const lines = await readResultLines(test, owner, created.body.id);
      expect(lines).toHaveLength(cancelled.counts.succeeded + cancelled.counts.failed);
      const again = await test.request('POST', `/v1/jobs/${created.body.id}/cancel`, {
        token: owner.accessToken,
        org: owner.orgId,
      });
      expect(again.status).toBe(409);
    } finally {
      fake.setLatency(5);
    }
  });

  it('streams progress and status changes as Server-Sent Events until the job ends, resumable by event id', async () => {
    fake.setLatency(20);
    try {
      const fileId = await uploadCsv(test, owner, numberedCsv(40));
      const created = await createJob(owner, {
        fileId,
        providerKeyId: keyId,
        model: 'fake-model',
        prompt: 'Say {{text}}',
        concurrency: 2,
      });
      const headers = { authorization: `Bearer ${owner.accessToken}`, 'llmbatch-org': owner.orgId };
      const response = await test.server.app.inject({
        method: 'GET',
        url: `/v1/jobs/${created.body.id}/events`,
        headers,
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const events = parseEvents(response.body);
      const progress = events
        .filter((item) => item.event === 'progress')
        .map((item) => item.data as { succeeded: number });
      expect(progress.length).toBeGreaterThan(2);
      expect(progress.map((item) => item.succeeded)).toEqual(
        [...progress.map((item) => item.succeeded)].sort((a, b) => a - b),
      );
      expect(progress.at(-1)).toEqual({ total: 40, succeeded: 40, failed: 0, errors: {} });
      const statuses = events
        .filter((item) => item.event === 'status')
        .map((item) => (item.data as { status: string }).status);
      expect(statuses.at(-1)).toBe('completed');
      expect(events.at(-1)).toEqual({ id: 'completed:40', event: 'end', data: { status: 'completed' } });
      const resumed = await test.server.app.inject({
        method: 'GET',
        url: `/v1/jobs/${created.body.id}/events`,
        headers: { ...headers, 'last-event-id': 'completed:40' },
      });
      expect(parseEvents(resumed.body)).toEqual([
        { id: 'completed:40', event: 'end', data: { status: 'completed' } },
      ]);
      const strangers = await test.request('GET', `/v1/jobs/${created.body.id}/events`, {
        token: stranger.accessToken,
        org: stranger.orgId,
      });
      expect(strangers.status).toBe(404);
    } finally {
      fake.setLatency(5);
    }
  });

  it('estimates tokens and cost of a job without calling the provider', async () => {
    const fileId = await uploadCsv(test, owner, numberedCsv(10));
    const openaiKey = await test.request<{ id: string }>('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'openai', provider: 'openai', apiKey: 'sk-never-used-1234' },
    });
    const before = fake.stats.received;
    const response = await test.request<{
      units: number;
      model: string;
      inputTokens: number;
      cost: { expected: number } | null;
    }>('POST', '/v1/jobs/estimate', {
      token: owner.accessToken,
      org: owner.orgId,
      body: {
        fileId,
        providerKeyId: openaiKey.body.id,
        model: 'gpt-4o-mini',
        prompt: 'Say {{text}}',
        maxTokens: 100,
      },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ units: 10, model: 'gpt-4o-mini' });
    expect(response.body.inputTokens).toBeGreaterThan(10);
    expect(response.body.cost?.expected).toBeGreaterThan(0);
    expect(fake.stats.received).toBe(before);
    const strangers = await test.request('POST', '/v1/jobs/estimate', {
      token: stranger.accessToken,
      org: stranger.orgId,
      body: { fileId, providerKeyId: openaiKey.body.id, model: 'gpt-4o-mini', prompt: 'Say {{text}}' },
    });
    expect(strangers.status).toBe(404);
  });

  it("answers 404 for another organisation's jobs, results and files", async () => {
    const fileId = await uploadCsv(test, owner, numberedCsv(2));
    const created = await createJob(owner, {
      fileId,
      providerKeyId: keyId,
      model: 'fake-model',
      prompt: 'Say {{text}}',
    });
    for (const [method, url] of [
      ['GET', `/v1/jobs/${created.body.id}`],
      ['GET', `/v1/jobs/${created.body.id}/results`],
      ['POST', `/v1/jobs/${created.body.id}/cancel`],
    ] as const) {
      const response = await test.request(method, url, { token: stranger.accessToken, org: stranger.orgId });
      expect(response.status).toBe(404);
    }
    const list = await test.request<{ data: JobBody[] }>('GET', '/v1/jobs', {
      token: stranger.accessToken,
      org: stranger.orgId,
    });
    expect(list.body.data.map((job) => job.id)).not.toContain(created.body.id);
    const strangerKey = await createProviderKey(test, stranger, `${fake.url}/v1`, apiKey);
    const withOurFile = await createJob(stranger, {
      fileId,
      providerKeyId: strangerKey,
      model: 'm',
      prompt: '{{text}}',
    });
    expect(withOurFile.status).toBe(404);
    const strangerFile = await uploadCsv(test, stranger, numberedCsv(2));
    const withOurKey = await createJob(stranger, {
      fileId: strangerFile,
      providerKeyId: keyId,
      model: 'm',
      prompt: '{{text}}',
    });
    expect(withOurKey.status).toBe(404);
    await pollJob(test, owner, created.body.id, (job) => job.status === 'completed');
  });
});
