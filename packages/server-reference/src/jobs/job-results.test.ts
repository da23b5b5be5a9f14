import { emptyUsage, type UnitResult } from '@llmbatch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabases } from '../../test/support/databases.js';
import {
  countRecorded,
  createResultLedger,
  finishedIndexes,
  readResults,
  readResultText,
  removeFailedResults,
} from './job-results.js';

function unit(index: number, status: 'ok' | 'error' = 'ok'): UnitResult {
  return {
    index,
    key: String(index),
    status,
    value: status === 'ok' ? { n: index } : undefined,
    raw: status === 'ok' ? `{"n":${index}}` : undefined,
    ...(status === 'error' ? { error: { code: 'timeout', message: 'slow', isRetryable: true } } : {}),
    warnings: [],
    usage: { ...emptyUsage(), inputTokens: 1, outputTokens: 1 },
    cost: 0,
    attempts: [],
    durationMs: 1,
  };
}

describe.each(testDatabases())('result ledger on %s', (kind) => {
  let test: TestDatabase;
  let jobId: string;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
    const { rows: orgs } = await test.database.query<{ id: string }>(
      "INSERT INTO orgs (name) VALUES ('ledger') RETURNING id",
    );
    const { rows: jobs } = await test.database.query<{ id: string }>(
      `INSERT INTO jobs (org_id, status, spec) VALUES ($1, 'running', '{}') RETURNING id`,
      [orgs[0]?.id],
    );
    jobId = jobs[0]?.id ?? '';
    await test.database.query(
      `INSERT INTO job_shards (job_id, shard, start_index, end_index) VALUES ($1, 0, 0, 2500), ($1, 1, 2500, 5000)`,
      [jobId],
    );
    // Results finish out of order, so a batch's indexes are unordered and may straddle a download
    // window (2,000 indexes) while staying within their shard.
    const ledger = createResultLedger(test.database);
    const shard = (number: number) =>
      ledger.writer({ jobId, shard: number, indexOffset: 0, model: 'm', pricingVersion: 'v' });
    await Promise.all(
      [2001, 1999, 0].map((index) => shard(0).write(unit(index, index === 1999 ? 'error' : 'ok'))),
    );
    await Promise.all([2000, 1].map((index) => shard(0).write(unit(index))));
    await Promise.all([4500, 4499].map((index) => shard(1).write(unit(index, 'error'))));
  });
  afterAll(async () => {
    await test.dispose();
  });

  it('downloads every recorded unit once, in index order, across batches and windows', async () => {
    let text = '';
    for await (const page of readResultText(test.database, jobId)) text += page;
    const lines = text.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { index: number }).index)).toEqual([
      0, 1, 1999, 2000, 2001, 4499, 4500,
    ]);
    const parsed = [];
    for await (const line of readResults(test.database, jobId)) parsed.push([line.index, line.status]);
    expect(parsed).toEqual([
      [0, 'ok'],
      [1, 'ok'],
      [1999, 'error'],
      [2000, 'ok'],
      [2001, 'ok'],
      [4499, 'error'],
      [4500, 'error'],
    ]);
  });

  it('finds the recorded units of a range, and counts them', async () => {
    expect([...(await finishedIndexes(test.database, jobId, { start: 1999, end: 2001 }))].sort()).toEqual([
      1999, 2000,
    ]);
    expect((await finishedIndexes(test.database, jobId, { start: 2500, end: 5000 })).size).toBe(2);
    expect(await countRecorded(test.database, jobId)).toBe(7);
  });

  it('removes the failed units for retry-failed and keeps the rest in order', async () => {
    expect(await removeFailedResults(test.database, jobId)).toBe(3);
    const indexes = [];
    for await (const line of readResults(test.database, jobId)) indexes.push(line.index);
    expect(indexes).toEqual([0, 1, 2000, 2001]);
    const { rows } = await test.database.query<{ first_index: number; last_index: number; count: number }>(
      `SELECT first_index, last_index, cardinality(indexes) AS count FROM job_result_batches
        WHERE job_id = $1 ORDER BY first_index`,
      [jobId],
    );
    // The first batch lost its failed unit, the shard-1 batch (all failed) is gone.
    expect(rows).toEqual([
      { first_index: 0, last_index: 2001, count: 2 },
      { first_index: 1, last_index: 2000, count: 2 },
    ]);
    expect(await removeFailedResults(test.database, jobId)).toBe(0);
  });
});
