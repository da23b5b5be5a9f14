import {
  type AttemptRecord,
  emptyUsage,
  type JsonValue,
  type SerializedError,
  type UnitResult,
} from '@llmbatch/core';
import type { Queryable } from '../db/database.js';

/** One line of a job's results download. */
export interface ResultLine {
  /** Position of the unit in the input file, from 0. */
  index: number;
  status: 'ok' | 'error';
  value: JsonValue;
  raw: string | null;
  /** Why the unit failed: code, message, whether retrying could help, HTTP status. */
  error: SerializedError | null;
  warnings: string[];
  usage: UnitResult['usage'];
  cost: number | null;
  /** Every provider call made for the unit (retries and schema repairs included). */
  attempts: AttemptRecord[];
  durationMs: number;
}

/** Where the results of one shard run go and what their usage is recorded under. */
export interface ResultWriterOptions {
  jobId: string;
  /** The shard the results belong to (usage is recorded per shard). */
  shard: number;
  /** Added to each result's index: the engine counts from 0 within the shard. */
  indexOffset: number;
  /** The job's model, recorded with the usage. */
  model: string;
  /** The price table's version the costs were computed with. */
  pricingVersion: string;
  /** Most results written by one statement. @default 500 */
  maxBatch?: number;
}

/** Writes results of one shard run into the ledger; see {@link createResultWriter}. */
export interface ResultWriter {
  /** Queues `result` and resolves once it is committed (with its usage). */
  write(result: UnitResult): Promise<void>;
}

interface Pending {
  row: { i: number; s: 'ok' | 'error'; r: Omit<ResultLine, 'index' | 'status'> };
  resolve: () => void;
  reject: (error: unknown) => void;
}

// One statement records a batch of results and, from the rows it actually inserted, the shard's
// usage and the job's error counts: a unit already in the ledger (a resumed run) adds nothing, so
// every unit is counted and billed exactly once, and a crash leaves results and usage consistent.
const writeBatchSql = `
WITH input AS (
  SELECT (x->>'i')::int AS unit_index, x->>'s' AS status, x->'r' AS result
    FROM jsonb_array_elements($5::jsonb) AS x
), inserted AS (
  INSERT INTO job_results (job_id, unit_index, status, result)
  SELECT $1, unit_index, status, result FROM input
  ON CONFLICT (job_id, unit_index) DO NOTHING
  RETURNING status, result
), errors AS (
  INSERT INTO job_error_counts (job_id, code, count)
  SELECT $1, coalesce(result->'error'->>'code', 'unknown'), count(*) FROM inserted
   WHERE status = 'error' GROUP BY 2
  ON CONFLICT (job_id, code) DO UPDATE SET count = job_error_counts.count + excluded.count
)
INSERT INTO job_usage (job_id, shard, pricing_version, model, succeeded, failed, input_tokens, output_tokens, cost)
SELECT $1, $2, $3, $4,
       count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'error'),
       coalesce(sum((result->'usage'->>'inputTokens')::bigint), 0),
       coalesce(sum((result->'usage'->>'outputTokens')::bigint), 0),
       CASE WHEN bool_or(jsonb_typeof(result->'cost') IS DISTINCT FROM 'number') THEN NULL
            ELSE coalesce(sum((result->>'cost')::float8), 0) END
  FROM inserted HAVING count(*) > 0
ON CONFLICT (job_id, shard, pricing_version) DO UPDATE SET
  succeeded = job_usage.succeeded + excluded.succeeded,
  failed = job_usage.failed + excluded.failed,
  input_tokens = job_usage.input_tokens + excluded.input_tokens,
  output_tokens = job_usage.output_tokens + excluded.output_tokens,
  cost = job_usage.cost + excluded.cost,
  updated_at = now()`;

function toLedger(result: UnitResult): Omit<ResultLine, 'index' | 'status'> {
  return {
    value: result.value ?? null,
    raw: result.raw ?? null,
    error: result.error ?? null,
    warnings: result.warnings,
    usage: result.usage,
    cost: result.cost,
    attempts: result.attempts,
    durationMs: result.durationMs,
  };
}

/**
 * A group-committing writer for the results of one shard run. Results that arrive while a batch is
 * being written are written together by the next statement, so the ledger keeps up with thousands
 * of units a second while each result is still committed before `write` resolves. The engine
 * holds a unit's concurrency slot until then, so units finished but not yet recorded never exceed
 * the concurrency: a crash re-sends at most that many.
 *
 * @example
 * ```ts
 * const writer = createResultWriter(database, { jobId, shard, indexOffset, model, pricingVersion });
 * engine.run(source, job, { checkpoint: { isDone, markDone: (result) => writer.write(result) } });
 * ```
 */
export function createResultWriter(queryable: Queryable, options: ResultWriterOptions): ResultWriter {
  const maxBatch = options.maxBatch ?? 500;
  let pending: Pending[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch);
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch);
      try {
        await queryable.query(
          writeBatchSql,
          [
            options.jobId,
            options.shard,
            options.pricingVersion,
            options.model,
            JSON.stringify(batch.map((item) => item.row)),
          ],
          { prepare: 'write-results' },
        );
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    writing = false;
  }

  return {
    write(result) {
      return new Promise<void>((resolve, reject) => {
        pending.push({
          row: { i: result.index + options.indexOffset, s: result.status, r: toLedger(result) },
          resolve,
          reject,
        });
        if (!writing) {
          writing = true;
          setImmediate(() => void drain());
        }
      });
    },
  };
}

/**
 * Writes one finished unit into the ledger at `index` (its own index by default), with its usage
 * under shard 0; a unit already recorded is kept as it was. For tools and tests; workers use
 * {@link createResultWriter}.
 *
 * @example
 * ```ts
 * await recordResult(database, jobId, result, { model: 'gpt-4o-mini', pricingVersion: '2026-11-01' });
 * ```
 */
export async function recordResult(
  queryable: Queryable,
  jobId: string,
  result: UnitResult,
  options: { model: string; pricingVersion: string; shard?: number },
): Promise<void> {
  await queryable.query(
    writeBatchSql,
    [
      jobId,
      options.shard ?? 0,
      options.pricingVersion,
      options.model,
      JSON.stringify([{ i: result.index, s: result.status, r: toLedger(result) }]),
    ],
    { prepare: 'write-results' },
  );
}

/**
 * Indexes of the units of `jobId` already in the ledger, within `[start, end)` when given (a
 * resumed shard skips them).
 *
 * @example
 * ```ts
 * const done = await finishedIndexes(database, jobId, { start: 10_000, end: 20_000 });
 * const checkpoint = { isDone: (_key: string, index: number) => done.has(10_000 + index) };
 * ```
 */
export async function finishedIndexes(
  queryable: Queryable,
  jobId: string,
  range: { start: number; end: number } = { start: 0, end: 2 ** 31 - 1 },
): Promise<Set<number>> {
  const { rows } = await queryable.query<{ unit_index: number }>(
    'SELECT unit_index FROM job_results WHERE job_id = $1 AND unit_index >= $2 AND unit_index < $3',
    [jobId, range.start, range.end],
  );
  return new Set(rows.map((row) => row.unit_index));
}

/**
 * Every result of `jobId` in input order, read from the database in pages of `pageSize` rows.
 *
 * @example
 * ```ts
 * for await (const line of readResults(database, jobId)) process.stdout.write(`${JSON.stringify(line)}\n`);
 * ```
 */
export async function* readResults(
  queryable: Queryable,
  jobId: string,
  pageSize = 2000,
): AsyncGenerator<ResultLine> {
  let after = -1;
  for (;;) {
    const { rows } = await queryable.query<{
      unit_index: number;
      status: 'ok' | 'error';
      result: Partial<Omit<ResultLine, 'index' | 'status'>>;
    }>(
      `SELECT unit_index, status, result FROM job_results WHERE job_id = $1 AND unit_index > $2
        ORDER BY unit_index LIMIT $3`,
      [jobId, after, pageSize],
    );
    for (const row of rows) {
      const { result } = row;
      yield {
        index: row.unit_index,
        status: row.status,
        value: result.value ?? null,
        raw: result.raw ?? null,
        error: result.error ?? null,
        // Results recorded before warnings and attempts were kept have none.
        warnings: result.warnings ?? [],
        usage: result.usage ?? emptyUsage(),
        cost: result.cost ?? null,
        attempts: result.attempts ?? [],
        durationMs: result.durationMs ?? 0,
      };
    }
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = last.unit_index;
  }
}
