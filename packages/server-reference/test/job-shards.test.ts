import { createPriceTable } from '@llmbatch/core';
import type { FakeProvider } from '@llmbatch/core/testing';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardInputKey } from '../src/worker/shard-inputs.js';
import { testDatabases } from './support/databases.js';
import {
  type JobBody,
  type JobFixture,
  numberedCsv,
  pollJob,
  readResultLines,
  startJobFixture,
  startTestWorker,
  uploadCsv,
} from './support/job-helpers.js';
import { createUser, type TestServer, type TestUser } from './support/test-server.js';

describe.each(testDatabases())('job shards, usage, retry-failed and CSV results on %s', (kind) => {
  let test: TestServer;
  let fake: FakeProvider;
  let owner: TestUser;
  let stranger: TestUser;
  let keyId: string;
  const workerOptions = {
    pollIntervalMs: 100,
    shardSize: 25,
    engineOptions: { retry: { maxRetries: 0 } },
  };
  let fixture: JobFixture | undefined;
  beforeAll(async () => {
    fixture = await startJobFixture(kind, {
      name: 'shards',
      latencyMs: 5,
      server: { worker: workerOptions },
    });
    ({ test, fake, owner, keyId } = fixture);
    stranger = await createUser(test, 'shards-stranger');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const createJob = async (rows: number, extra: Record<string, unknown> = {}): Promise<JobBody> => {
    const fileId = await uploadCsv(test, owner, numberedCsv(rows));
    const created = await test.request<JobBody>('POST', '/v1/jobs', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { fileId, providerKeyId: keyId, model: 'fake-model', prompt: 'Say {{text}}', ...extra },
    });
    if (created.status !== 202) throw new Error(`create answered ${created.status}`);
    return created.body;
  };

  it('splits a job into shards that two workers run at once, and merges the results in input order', async () => {
    fake.setLatency(40);
    const extra = startTestWorker(test, workerOptions);
    try {
      const before = fake.stats.received;
      const job = await createJob(130, { concurrency: 2, maxParallelShards: 6 });
      const holders = new Set<string>();
      for (;;) {
        const { rows } = await test.database.database.query<{ locked_by: string }>(
          "SELECT locked_by FROM job_tasks WHERE job_id = $1 AND shard >= 0 AND state = 'active'",
          [job.id],
        );
        // A holder is `<worker id>#<claim>`: count workers, not claims.
        for (const row of rows) holders.add(row.locked_by.split('#')[0] ?? '');
        if (holders.size >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(holders).toContain(extra.workerId);
      const done = await pollJob(test, owner, job.id, (body) => body.status === 'completed');
      expect(done.counts).toEqual({ total: 130, succeeded: 130, failed: 0, errors: {} });
      expect(fake.stats.received - before).toBe(130);
      const { rows: shards } = await test.database.database.query<{
        shard: number;
        start_index: number;
        end_index: number;
        done: boolean;
      }>(
        `SELECT shard, start_index, end_index, completed_at IS NOT NULL AS done
           FROM job_shards WHERE job_id = $1 ORDER BY shard`,
        [job.id],
      );
      expect(shards).toEqual(
        [0, 25, 50, 75, 100, 125].map((start, shard) => ({
          shard,
          start_index: start,
          end_index: Math.min(130, start + 25),
          done: true,
        })),
      );
      // Usage is recorded per shard, with the model and the price table's version.
      const { rows: usage } = await test.database.database.query<{
        shard: number;
        model: string;
        pricing_version: string;
        succeeded: number;
      }>('SELECT shard, model, pricing_version, succeeded FROM job_usage WHERE job_id = $1 ORDER BY shard', [
        job.id,
      ]);
      expect(usage).toEqual(
        [25, 25, 25, 25, 25, 5].map((succeeded, shard) => ({
          shard,
          model: 'fake-model',
          pricing_version: createPriceTable().pricingVersion,
          succeeded,
        })),
      );
      const lines = await readResultLines(test, owner, job.id);
      expect(lines.map((line) => line.index)).toEqual(Array.from({ length: 130 }, (_, index) => index));
      // The shard inputs are swept once the job is final.
      for (;;) {
        const { rows: stored } = await test.database.database.query(
          'SELECT shard FROM job_shards WHERE job_id = $1 AND input_stored',
          [job.id],
        );
        if (stored.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const shard of [0, 5]) {
        expect(await test.server.context.storage.exists(shardInputKey(owner.orgId, job.id, shard))).toBe(
          false,
        );
      }
      // The organisation's usage report reads the same rows.
      const report = await test.request<{
        rows: { model: string; pricingVersion: string; succeeded: number; inputTokens: number }[];
        total: { inputTokens: number; cost: number | null };
      }>('GET', '/v1/usage', { token: owner.accessToken, org: owner.orgId });
      expect(report.status).toBe(200);
      expect(report.body.rows).toEqual([
        expect.objectContaining({
          model: 'fake-model',
          pricingVersion: createPriceTable().pricingVersion,
          succeeded: 130,
          inputTokens: done.usage.inputTokens,
        }),
      ]);
      expect(report.body.total).toEqual({
        inputTokens: done.usage.inputTokens,
        outputTokens: done.usage.outputTokens,
        cost: null,
      });
      const strangers = await test.request<{ rows: unknown[] }>('GET', '/v1/usage', {
        token: stranger.accessToken,
        org: stranger.orgId,
      });
      expect(strangers.body.rows).toEqual([]);
      for (const line of lines) expect(JSON.stringify(line.value)).toContain(`row ${line.index}`);
    } finally {
      fake.setLatency(5);
      await extra.stop();
    }
  });

  it('fails a job whose input breaks after the part checked at upload, before calling the provider', async () => {
    // The upload checks the first 64 KB; a ragged row after that is found when the job is planned.
    const good = numberedCsv(6000);
    expect(good.length).toBeGreaterThan(64 * 1024);
    const fileId = await uploadCsv(test, owner, `${good}6000,too,many,cells\n`);
    const before = fake.stats.received;
    const created = await test.request<JobBody>('POST', '/v1/jobs', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { fileId, providerKeyId: keyId, model: 'fake-model', prompt: 'Say {{text}}' },
    });
    const failed = await pollJob(test, owner, created.body.id, (body) => body.status === 'failed');
    expect(failed.error?.code).toBe('invalid-input');
    expect(failed.error?.message).toMatch(/^The input file could not be read: .*6002/);
    expect(failed.counts).toMatchObject({ total: null, succeeded: 0, failed: 0 });
    expect(fake.stats.received).toBe(before);
  });

  it('retries only the failed units of a finished job, keeping what they cost', async () => {
    fake.setRespond((request) =>
      /row (3|17|40)\b/.test(request.userText) ? { status: 500, content: 'boom' } : undefined,
    );
    let job: JobBody;
    try {
      job = await createJob(50);
      const first = await pollJob(test, owner, job.id, (body) => body.status === 'completed');
      expect(first.counts).toMatchObject({ total: 50, succeeded: 47, failed: 3 });
      expect(Object.values(first.counts.errors)).toEqual([3]);
      const failedLines = (await readResultLines(test, owner, job.id)).filter(
        (line) => line.status === 'error',
      );
      expect(failedLines.map((line) => line.index)).toEqual([3, 17, 40]);
    } finally {
      fake.setRespond(undefined);
    }
    const before = fake.stats.received;
    const retried = await test.request<JobBody>('POST', `/v1/jobs/${job.id}/retry-failed`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', retries: 1, error: null });
    expect(retried.body.counts).toMatchObject({ succeeded: 47, failed: 0, errors: {} });
    const done = await pollJob(test, owner, job.id, (body) => body.status === 'completed');
    expect(done.counts).toEqual({ total: 50, succeeded: 50, failed: 0, errors: {} });
    // Only the three failed units were sent again, each once.
    expect(fake.stats.received - before).toBe(3);
    const lines = await readResultLines(test, owner, job.id);
    expect(lines.map((line) => line.index)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(lines.every((line) => line.status === 'ok')).toBe(true);
    const again = await test.request<{ error: { code: string } }>('POST', `/v1/jobs/${job.id}/retry-failed`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const strangers = await test.request('POST', `/v1/jobs/${job.id}/retry-failed`, {
      token: stranger.accessToken,
      org: stranger.orgId,
    });
    expect(strangers.status).toBe(404);
  });

  it('refuses to retry a job that is still running', async () => {
    fake.setLatency(300);
    try {
      const job = await createJob(20, { concurrency: 1 });
      await pollJob(test, owner, job.id, (body) => body.status === 'running');
      const response = await test.request<{ error: { code: string; details: unknown } }>(
        'POST',
        `/v1/jobs/${job.id}/retry-failed`,
        { token: owner.accessToken, org: owner.orgId },
      );
      expect(response.status).toBe(409);
      expect(response.body.error).toMatchObject({ code: 'conflict', details: { status: 'running' } });
      await test.request('POST', `/v1/jobs/${job.id}/cancel`, { token: owner.accessToken, org: owner.orgId });
      await pollJob(test, owner, job.id, (body) => body.status === 'cancelled');
    } finally {
      fake.setLatency(5);
    }
  });

  it('downloads the results as CSV in input order, with formula-like cells neutralised', async () => {
    fake.setRespond((request) => ({
      content: JSON.stringify({ label: request.userText.includes('row 2') ? '=HYPERLINK("x")' : 'fine' }),
    }));
    try {
      const job = await createJob(4);
      await pollJob(test, owner, job.id, (body) => body.status === 'completed');
      const response = await test.server.app.inject({
        method: 'GET',
        url: `/v1/jobs/${job.id}/results?format=csv`,
        headers: { authorization: `Bearer ${owner.accessToken}`, 'llmbatch-org': owner.orgId },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toBe(
        `attachment; filename="job-${job.id}-results.csv"`,
      );
      const parsed = Papa.parse<Record<string, string>>(response.body.trim(), { header: true });
      expect(parsed.errors).toEqual([]);
      expect(parsed.data.map((row) => [row.index, row.status, row['value.label']])).toEqual([
        ['0', 'ok', 'fine'],
        ['1', 'ok', 'fine'],
        ['2', 'ok', `'=HYPERLINK("x")`],
        ['3', 'ok', 'fine'],
      ]);
      expect(parsed.data.every((row) => row.attempts === '1')).toBe(true);
    } finally {
      fake.setRespond(undefined);
    }
  });

  it('cancels a queued job at once and a sharded running job within seconds, stopping every worker', async () => {
    fake.setLatency(200);
    try {
      const job = await createJob(200, { concurrency: 2, maxParallelShards: 2 });
      await pollJob(test, owner, job.id, (body) => body.counts.succeeded >= 2);
      const started = Date.now();
      const cancel = await test.request<JobBody>('POST', `/v1/jobs/${job.id}/cancel`, {
        token: owner.accessToken,
        org: owner.orgId,
      });
      expect(cancel.body.status).toBe('cancelling');
      const cancelled = await pollJob(test, owner, job.id, (body) => body.status === 'cancelled', 5000);
      expect(Date.now() - started).toBeLessThan(5000);
      const { rows } = await test.database.database.query('SELECT * FROM job_tasks WHERE job_id = $1', [
        job.id,
      ]);
      expect(rows).toEqual([]);
      const received = fake.stats.received;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(fake.stats.received).toBe(received);
      expect(cancelled.counts.succeeded).toBeLessThan(200);
    } finally {
      fake.setLatency(5);
    }
  });
});
