import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { emptyUsage } from '@llmbatch/core';
import type { FakeProvider } from '@llmbatch/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createResultLedger,
  finishedIndexes,
  LedgerFencedError,
  recordResult,
} from '../src/jobs/job-results.js';
import { transitionJob } from '../src/jobs/job-status.js';
import type { Worker } from '../src/worker/create-worker.js';
import { type ClaimedTask, claimTask, planShard, renewLease } from '../src/worker/job-queue.js';
import { startChild } from './support/child-process.js';
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
import type { TestServer, TestUser } from './support/test-server.js';

describe.each(testDatabases())('worker recovery on %s', (kind) => {
  let test: TestServer;
  let fake: FakeProvider;
  let owner: TestUser;
  let keyId: string;
  let fixture: JobFixture | undefined;
  beforeAll(async () => {
    fixture = await startJobFixture(kind, { name: 'recovery', latencyMs: 5 });
    ({ test, fake, owner, keyId } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const startWorker = (options: Parameters<typeof startTestWorker>[1] = {}): Worker => {
    return startTestWorker(test, { engineOptions: { retry: { maxRetries: 0 } }, ...options });
  };

  const createJob = async (rows: number, concurrency = 8): Promise<string> => {
    const fileId = await uploadCsv(test, owner, numberedCsv(rows));
    const created = await test.request<JobBody>('POST', '/v1/jobs', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { fileId, providerKeyId: keyId, model: 'fake-model', prompt: 'Say {{text}}', concurrency },
    });
    if (created.status !== 202) throw new Error(`create answered ${created.status}`);
    return created.body.id;
  };

  it("takes over a dead worker's job when its lease expires and sends only the units not in the ledger", async () => {
    const jobId = await createJob(60);
    // A worker claimed the job, finished ten units, and died without a heartbeat.
    const claimed = await claimTask(test.database.database, 'dead-worker', 300);
    expect(claimed).toMatchObject({ jobId, shard: planShard, attempts: 1 });
    await transitionJob(test.database.database, jobId, 'running', { startedAt: new Date() });
    for (let index = 0; index < 10; index += 1) {
      await recordResult(
        test.database.database,
        jobId,
        {
          index,
          key: String(index),
          status: 'ok',
          value: { before: true },
          raw: '{"before":true}',
          warnings: [],
          usage: emptyUsage(),
          cost: 0,
          attempts: [],
          durationMs: 1,
        },
        { model: 'fake-model', pricingVersion: 'test' },
      );
    }
    const before = fake.stats.received;
    const worker = startWorker({ leaseMs: 5000 });
    try {
      const done = await pollJob(test, owner, jobId, (job) => job.status === 'completed');
      expect(done.counts).toEqual({ total: 60, succeeded: 60, failed: 0, errors: {} });
      expect(fake.stats.received - before).toBe(50);
      const lines = await readResultLines(test, owner, jobId);
      expect(lines.map((line) => line.index)).toEqual(Array.from({ length: 60 }, (_, index) => index));
      expect(lines.slice(0, 10).every((line) => JSON.stringify(line.value) === '{"before":true}')).toBe(true);
      expect(JSON.stringify(lines[10]?.value)).toContain('row 10');
    } finally {
      await worker.stop();
    }
  });

  it('drains on shutdown: units in flight finish and are recorded, the shard goes back, nothing is sent twice', async () => {
    fake.setLatency(50);
    try {
      const before = fake.stats.received;
      const jobId = await createJob(120, 4);
      const first = startWorker();
      await pollJob(test, owner, jobId, (job) => job.counts.succeeded >= 8);
      await first.stop();
      expect(fake.stats.inFlight).toBe(0);
      const { rows } = await test.database.database.query<{ state: string; locked_by: string | null }>(
        'SELECT state, locked_by FROM job_tasks WHERE job_id = $1',
        [jobId],
      );
      expect(rows).toEqual([{ state: 'ready', locked_by: null }]);
      // Every call the first worker made has its result in the ledger.
      const atStop = await pollJob(test, owner, jobId, () => true);
      expect(atStop.counts.succeeded).toBe(fake.stats.received - before);
      const afterFirst = await pollJob(test, owner, jobId, () => true);
      expect(afterFirst.status).toBe('running');
      const second = startWorker();
      try {
        const done = await pollJob(test, owner, jobId, (job) => job.status === 'completed');
        expect(done.counts).toEqual({ total: 120, succeeded: 120, failed: 0, errors: {} });
        const lines = await readResultLines(test, owner, jobId);
        expect(lines.map((line) => line.index)).toEqual(Array.from({ length: 120 }, (_, index) => index));
        // The drained calls were recorded: no unit was sent twice.
        expect(fake.stats.received - before).toBe(120);
      } finally {
        await second.stop();
      }
    } finally {
      fake.setLatency(5);
    }
  });

  it('aborts units still in flight when the drain deadline passes, and the next worker sends them once', async () => {
    fake.setLatency(5000);
    try {
      const jobId = await createJob(30, 4);
      const first = startWorker({ drainMs: 300 });
      while (fake.stats.inFlight < 4) await new Promise((resolve) => setTimeout(resolve, 20));
      const { rows: planned } = await test.database.database.query(
        'SELECT shard FROM job_shards WHERE job_id = $1',
        [jobId],
      );
      expect(planned).toEqual([{ shard: 0 }]);
      const stopping = Date.now();
      await first.stop();
      expect(Date.now() - stopping).toBeLessThan(3000);
      const released = await pollJob(test, owner, jobId, () => true);
      expect(released.counts).toMatchObject({ succeeded: 0, failed: 0 });
      fake.setLatency(5);
      const second = startWorker();
      try {
        const done = await pollJob(test, owner, jobId, (job) => job.status === 'completed');
        expect(done.counts).toEqual({ total: 30, succeeded: 30, failed: 0, errors: {} });
        const lines = await readResultLines(test, owner, jobId);
        expect(lines.map((line) => line.index)).toEqual(Array.from({ length: 30 }, (_, index) => index));
      } finally {
        await second.stop();
      }
    } finally {
      fake.setLatency(5);
    }
  });

  it('starts a new job at once on a worker that polls once a minute: the queue notifies it', async () => {
    const worker = startWorker({ pollIntervalMs: 60_000, leaseMs: 120_000 });
    try {
      // Let the worker find the queue empty and go to sleep.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const jobId = await createJob(5);
      const started = Date.now();
      const done = await pollJob(test, owner, jobId, (job) => job.status === 'completed', 10_000);
      expect(done.counts).toMatchObject({ total: 5, succeeded: 5 });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await worker.stop();
    }
  });

  it('fails a job whose workers keep dying, with a clear reason', async () => {
    const jobId = await createJob(5);
    await test.database.database.query(
      `UPDATE job_tasks SET state = 'active', locked_by = 'dead', attempts = 2,
          lease_expires_at = clock_timestamp() - interval '1 second' WHERE job_id = $1`,
      [jobId],
    );
    await transitionJob(test.database.database, jobId, 'running', { startedAt: new Date() });
    const worker = startWorker({ maxAttempts: 2 });
    try {
      const failed = await pollJob(test, owner, jobId, (job) => job.status === 'failed');
      expect(failed.error).toEqual({
        code: 'worker-lost',
        message: 'The job was started 2 times and its worker stopped each time',
      });
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('records nothing more for a run whose shard was claimed again, even by its own worker, and still records its other shards', async () => {
    const database = test.database.database;
    const taken = await createJob(10);
    const kept = await createJob(10);
    const unit = (index: number) => ({
      index,
      key: String(index),
      status: 'ok' as const,
      value: { by: 'old' },
      raw: '{"by":"old"}',
      warnings: [],
      usage: { ...emptyUsage(), inputTokens: 3 },
      cost: 0,
      attempts: [],
      durationMs: 1,
    });
    const target = (claim: ClaimedTask) => ({
      jobId: claim.jobId,
      shard: claim.shard,
      indexOffset: 0,
      model: 'fake-model',
      pricingVersion: 'test',
      holder: claim.holder,
    });
    try {
      const takenClaim = await claimTask(database, 'old-worker', 200);
      expect(takenClaim).toMatchObject({ jobId: taken, shard: planShard, attempts: 1 });
      expect(takenClaim?.holder).toMatch(/^old-worker#[0-9a-f]{8}$/);
      const keptClaim = await claimTask(database, 'old-worker', 200);
      expect(keptClaim).toMatchObject({ jobId: kept, shard: planShard, attempts: 1 });
      if (takenClaim === undefined || keptClaim === undefined) throw new Error('nothing claimed');
      // One ledger for the worker: writes of both shards made together go out as one statement.
      const ledger = createResultLedger(database);
      const [takenWriter, keptWriter] = [ledger.writer(target(takenClaim)), ledger.writer(target(keptClaim))];
      await Promise.all([takenWriter.write(unit(0)), keptWriter.write(unit(0))]);
      // The run stalls past its leases; the first task is claimed again — by the same worker.
      await new Promise((resolve) => setTimeout(resolve, 250));
      const again = await claimTask(database, 'old-worker', 60_000);
      expect(again).toMatchObject({ jobId: taken, shard: planShard, attempts: 2 });
      expect(again?.holder).not.toBe(takenClaim.holder);
      const [refused, recorded] = await Promise.allSettled([
        takenWriter.write(unit(1)),
        keptWriter.write(unit(1)),
      ]);
      expect(recorded).toEqual({ status: 'fulfilled', value: undefined });
      expect(refused.status).toBe('rejected');
      const reason = (refused as PromiseRejectedResult).reason as unknown;
      expect(LedgerFencedError.isInstance(reason)).toBe(true);
      expect((reason as Error).message).toBe(
        `Results of shard -1 of job ${taken} were not recorded: the shard was claimed again since this run took it`,
      );
      // The stale run's heartbeat hears it too.
      expect(await renewLease(database, takenClaim, 60_000)).toBeUndefined();
      expect([...(await finishedIndexes(database, taken))]).toEqual([0]);
      expect([...(await finishedIndexes(database, kept))].sort()).toEqual([0, 1]);
      const { rows: usage } = await database.query(
        `SELECT job_id, succeeded, input_tokens::int AS input_tokens FROM job_usage
          WHERE job_id = ANY(string_to_array($1, ',')::uuid[]) ORDER BY succeeded`,
        [`${taken},${kept}`],
      );
      expect(usage).toEqual([
        { job_id: taken, succeeded: 1, input_tokens: 3 },
        { job_id: kept, succeeded: 2, input_tokens: 6 },
      ]);
    } finally {
      // Nobody runs these jobs: take their tasks off the queue so later tests' workers do not.
      await database.query("DELETE FROM job_tasks WHERE job_id = ANY(string_to_array($1, ',')::uuid[])", [
        `${taken},${kept}`,
      ]);
    }
  });
});

// A worker in another process can share only a real Postgres (PGlite belongs to one process).
describe.each(testDatabases().filter((kind) => kind === 'postgres'))('worker crash on %s', (kind) => {
  let test: TestServer;
  let fake: FakeProvider;
  let owner: TestUser;
  let keyId: string;
  let fixture: JobFixture | undefined;
  beforeAll(async () => {
    fixture = await startJobFixture(kind, { name: 'crash', latencyMs: 50 });
    ({ test, fake, owner, keyId } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('drains a `llmbatch-server worker` process on SIGTERM: it exits 0, every call it made is recorded, none is made twice', async () => {
    const fileId = await uploadCsv(test, owner, numberedCsv(300));
    const before = fake.stats.received;
    const created = await test.request<JobBody>('POST', '/v1/jobs', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { fileId, providerKeyId: keyId, model: 'fake-model', prompt: 'Say {{text}}', concurrency: 8 },
    });
    const url = new URL(test.database.url ?? '');
    url.searchParams.set('options', `-c search_path=${test.database.schema ?? 'public'}`);
    const child = startChild('src/cli/bin.ts', ['worker'], {
      NODE_ENV: 'development',
      LLMBATCH_DATA_DIR: test.server.context.config.dataDirectory,
      DATABASE_URL: url.toString(),
      ENCRYPTION_KEY: test.server.context.config.encryptionKey,
      JWT_SECRET: randomBytes(32).toString('hex'),
      WORKER_POLL_MS: '100',
      WORKER_DRAIN_MS: '20000',
    });
    try {
      await pollJob(test, owner, created.body.id, (job) => job.counts.succeeded >= 40, 60_000);
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
    } finally {
      child.process.kill('SIGKILL');
    }
    expect(child.output()).toContain('"msg":"released the shard for another worker"');
    expect(fake.stats.inFlight).toBe(0);
    const stopped = await pollJob(test, owner, created.body.id, () => true);
    expect(stopped.status).toBe('running');
    expect(stopped.counts.succeeded).toBe(fake.stats.received - before);
    const worker = startTestWorker(test);
    try {
      const done = await pollJob(test, owner, created.body.id, (job) => job.status === 'completed');
      expect(done.counts).toEqual({ total: 300, succeeded: 300, failed: 0, errors: {} });
      expect(fake.stats.received - before).toBe(300);
    } finally {
      await worker.stop();
    }
  }, 120_000);

  it('finishes the job of a worker process killed with SIGKILL, every unit exactly once', async () => {
    const fileId = await uploadCsv(test, owner, numberedCsv(600));
    const before = fake.stats.received;
    const created = await test.request<JobBody>('POST', '/v1/jobs', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { fileId, providerKeyId: keyId, model: 'fake-model', prompt: 'Say {{text}}', concurrency: 8 },
    });
    const child = startChild('test/fixtures/worker-process.ts', [], {
      DATABASE_URL: test.database.url ?? '',
      DATABASE_SCHEMA: test.database.schema ?? '',
      FILES_ROOT: join(test.server.context.config.dataDirectory, 'files'),
      ENCRYPTION_KEY: test.server.context.config.encryptionKey,
      LEASE_MS: '1500',
    });
    try {
      // The child starts through tsx, which takes seconds on a loaded machine.
      await pollJob(test, owner, created.body.id, (job) => job.counts.succeeded >= 40, 60_000);
    } finally {
      child.process.kill('SIGKILL');
    }
    expect(await child.exited).toBe('SIGKILL');
    const killedAt = await pollJob(test, owner, created.body.id, () => true);
    expect(killedAt.status).toBe('running');
    expect(killedAt.counts.succeeded).toBeLessThan(600);
    const worker = startTestWorker(test, { leaseMs: 1500 });
    try {
      const done = await pollJob(test, owner, created.body.id, (job) => job.status === 'completed');
      expect(done.counts).toEqual({ total: 600, succeeded: 600, failed: 0, errors: {} });
      const lines = await readResultLines(test, owner, created.body.id);
      expect(lines.map((line) => line.index)).toEqual(Array.from({ length: 600 }, (_, index) => index));
      // Only the calls in flight when the process died (at most the concurrency) were sent twice.
      expect(fake.stats.received - before).toBeLessThanOrEqual(608);
    } finally {
      await worker.stop();
    }
  }, 120_000);
});
