import type { AttemptRecord, JsonValue, SerializedError, UnitResult } from '@llmbatch/core';
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
  /** The unit's index in the job (the shard's offset added). */
  index: number;
  result: UnitResult;
  resolve: () => void;
  reject: (error: unknown) => void;
}

// One statement records a batch of results and, from the rows it actually inserted, the shard's
// usage and the job's error counts: a unit already in the ledger (a resumed run) adds nothing, so
// every unit is counted and billed exactly once, and a crash leaves results and usage consistent.
// The lines travel as one text split on newlines (JSON text has none), the rest as arrays.
const writeBatchSql = `
WITH inserted AS (
  INSERT INTO job_results (job_id, unit_index, status, error_code, input_tokens, output_tokens, cost, line)
  SELECT $1, x.unit_index, CASE WHEN x.error_code IS NULL THEN 'ok' ELSE 'error' END,
         x.error_code, x.input_tokens, x.output_tokens, x.cost, x.line
    FROM unnest($5::int[], $6::text[], $7::bigint[], $8::bigint[], $9::float8[], string_to_array($10, E'\\n'))
      AS x (unit_index, error_code, input_tokens, output_tokens, cost, line)
  ON CONFLICT (job_id, unit_index) DO NOTHING
  RETURNING status, error_code, input_tokens, output_tokens, cost
), errors AS (
  INSERT INTO job_error_counts (job_id, code, count)
  SELECT $1, error_code, count(*) FROM inserted WHERE error_code IS NOT NULL GROUP BY 2
  ON CONFLICT (job_id, code) DO UPDATE SET count = job_error_counts.count + excluded.count
)
INSERT INTO job_usage (job_id, shard, pricing_version, model, succeeded, failed, input_tokens, output_tokens, cost)
SELECT $1, $2, $3, $4,
       count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'error'),
       coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
       CASE WHEN bool_or(cost IS NULL) THEN NULL ELSE coalesce(sum(cost), 0) END
  FROM inserted HAVING count(*) > 0
ON CONFLICT (job_id, shard, pricing_version) DO UPDATE SET
  succeeded = job_usage.succeeded + excluded.succeeded,
  failed = job_usage.failed + excluded.failed,
  input_tokens = job_usage.input_tokens + excluded.input_tokens,
  output_tokens = job_usage.output_tokens + excluded.output_tokens,
  cost = job_usage.cost + excluded.cost,
  updated_at = now()`;

/** The download line of `result` at `index`: what {@link readResults} gives back. */
function resultLine(index: number, result: UnitResult): string {
  const line: ResultLine = {
    index,
    status: result.status,
    value: result.value ?? null,
    raw: result.raw ?? null,
    error: result.error ?? null,
    warnings: result.warnings,
    usage: result.usage,
    cost: result.cost,
    attempts: result.attempts,
    durationMs: result.durationMs,
  };
  return JSON.stringify(line);
}

/** Writes `batch` with its usage under `shard`; units already in the ledger are left as they were. */
async function writeBatch(
  queryable: Queryable,
  options: { jobId: string; shard: number; model: string; pricingVersion: string },
  batch: readonly { index: number; result: UnitResult }[],
): Promise<void> {
  const indexes: number[] = [];
  const codes: (string | null)[] = [];
  const inputTokens: number[] = [];
  const outputTokens: number[] = [];
  const costs: (number | null)[] = [];
  const lines: string[] = [];
  for (const { index, result } of batch) {
    indexes.push(index);
    codes.push(result.status === 'ok' ? null : (result.error?.code ?? 'unknown'));
    inputTokens.push(result.usage.inputTokens);
    outputTokens.push(result.usage.outputTokens);
    costs.push(result.cost);
    lines.push(resultLine(index, result));
  }
  await queryable.query(
    writeBatchSql,
    [
      options.jobId,
      options.shard,
      options.pricingVersion,
      options.model,
      indexes,
      codes,
      inputTokens,
      outputTokens,
      costs,
      lines.join('\n'),
    ],
    { prepare: 'write-results' },
  );
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
        await writeBatch(queryable, options, batch);
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
        pending.push({ index: result.index + options.indexOffset, result, resolve, reject });
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
  await writeBatch(queryable, { jobId, shard: options.shard ?? 0, ...options }, [
    { index: result.index, result },
  ]);
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
 * The results of `jobId` in input order as JSON-lines text, a page of up to `pageSize` lines (each
 * ending in a newline) at a time: the stored lines as they are, nothing parsed. This is the
 * `jsonl` download.
 *
 * @example
 * ```ts
 * for await (const text of readResultText(database, jobId)) process.stdout.write(text);
 * ```
 */
export async function* readResultText(
  queryable: Queryable,
  jobId: string,
  pageSize = 2000,
): AsyncGenerator<string> {
  let after = -1;
  for (;;) {
    const { rows } = await queryable.query<{ last: number | null; count: number; text: string | null }>(
      `SELECT max(unit_index) AS last, count(*)::int AS count, string_agg(line, E'\\n' ORDER BY unit_index) AS text
         FROM (SELECT unit_index, line FROM job_results WHERE job_id = $1 AND unit_index > $2
                ORDER BY unit_index LIMIT $3) AS page`,
      [jobId, after, pageSize],
      { prepare: 'read-result-text' },
    );
    const page = rows[0];
    if (page === undefined || page.last === null || page.text === null) return;
    yield `${page.text}\n`;
    if (page.count < pageSize) return;
    after = page.last;
  }
}

/**
 * Every result of `jobId` in input order, parsed, read from the database in pages of `pageSize`
 * rows.
 *
 * @example
 * ```ts
 * for await (const line of readResults(database, jobId)) console.log(line.index, line.status);
 * ```
 */
export async function* readResults(
  queryable: Queryable,
  jobId: string,
  pageSize = 2000,
): AsyncGenerator<ResultLine> {
  for await (const text of readResultText(queryable, jobId, pageSize)) {
    for (const line of text.split('\n')) if (line !== '') yield JSON.parse(line) as ResultLine;
  }
}
