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
export interface ShardResultsTarget {
  jobId: string;
  /** The shard the results belong to (usage is recorded per shard). */
  shard: number;
  /** Added to each result's index: the engine counts from 0 within the shard. */
  indexOffset: number;
  /** The job's model, recorded with the usage. */
  model: string;
  /** The price table's version the costs were computed with. */
  pricingVersion: string;
  /**
   * The claim the shard runs under (its task's `holder`, from `claimTask`). Its batches are recorded only while
   * the claim still holds the shard's task; once the task was claimed again (another worker took the
   * shard over, or this one after its lease ran out), writes fail with {@link LedgerFencedError} and
   * record nothing: the new claim sends those units. Without it (tools, tests) nothing is checked.
   */
  holder?: string;
}

/** Options of {@link createResultLedger}. */
export interface ResultLedgerOptions {
  /** Most results written by one statement. @default 1000 */
  maxBatch?: number;
}

/** Writes results of one shard run into the ledger; see {@link createResultLedger}. */
export interface ResultWriter {
  /** Queues `result` and resolves once it is committed (with its usage). */
  write(result: UnitResult): Promise<void>;
}

/** The ledger writes of one worker process; see {@link createResultLedger}. */
export interface ResultLedger {
  /** A writer for the results of one shard run. */
  writer(target: ShardResultsTarget): ResultWriter;
}

/**
 * A batch of results was not recorded because the claim it was written under no longer holds the
 * shard's task: its lease ran out and the task was claimed again (by another worker or by the same
 * one), or the task was handed back.
 *
 * @example
 * ```ts
 * try {
 *   await writer.write(result);
 * } catch (error) {
 *   if (LedgerFencedError.isInstance(error)) stop('lease-lost');
 * }
 * ```
 */
export class LedgerFencedError extends Error {
  readonly code = 'ledger-fenced';

  constructor(
    readonly jobId: string,
    readonly shard: number,
  ) {
    super(
      `Results of shard ${shard} of job ${jobId} were not recorded: the shard was claimed again since this run took it`,
    );
    this.name = 'LedgerFencedError';
  }

  /** True for a {@link LedgerFencedError}, also across module copies. */
  static isInstance(value: unknown): value is LedgerFencedError {
    return value instanceof Error && value.name === 'LedgerFencedError';
  }
}

interface Pending {
  target: ShardResultsTarget;
  /** The unit's index in the job (the shard's offset added). */
  index: number;
  result: UnitResult;
  resolve: () => void;
  reject: (error: unknown) => void;
}

// One statement records a batch of every shard that has results waiting — each only while its
// claim still holds the shard's task, when it names one — with the shards' usage and the jobs' error
// counts, so a crash leaves results and usage consistent and every recorded unit is counted (and
// billed) once. `FOR SHARE` makes a worker taking a shard over (its claim updates the task row) wait
// for this statement, and then read the batch when it looks for the units done.
// The batches' lines travel as one text, a batch's lines separated by newlines and batches by the
// record separator (U+001E): JSON text contains neither raw, and a text array would cost escaping
// every quote. Index lists likewise, separated by semicolons.
const writeBatchesSql = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::int[], $7::int[],
                       string_to_array($8, ';'), string_to_array($9, ';'), string_to_array($10, chr(30)),
                       $11::int[], $12::int[], $13::bigint[], $14::bigint[], $15::float8[])
    WITH ORDINALITY AS x (holder, job_id, shard, pricing_version, model, first_index, last_index, indexes,
                          error_positions, lines, succeeded, failed, input_tokens, output_tokens, cost, n)
), allowed AS MATERIALIZED (
  SELECT * FROM input AS x
   WHERE x.holder IS NULL OR EXISTS (
     SELECT 1 FROM job_tasks AS t
      WHERE t.job_id = x.job_id AND t.shard = x.shard AND t.locked_by = x.holder FOR SHARE)
), batches AS (
  INSERT INTO job_result_batches (job_id, first_index, last_index, indexes, error_positions, lines)
  SELECT job_id, first_index, last_index, indexes::int[], error_positions::int[], lines FROM allowed
), errors AS (
  INSERT INTO job_error_counts (job_id, code, count)
  SELECT a.job_id, e.code, count(*) FROM unnest($16::int[], $17::text[]) AS e (n, code) JOIN allowed AS a ON a.n = e.n
   GROUP BY a.job_id, e.code
  ON CONFLICT (job_id, code) DO UPDATE SET count = job_error_counts.count + excluded.count
), usage AS (
  INSERT INTO job_usage (job_id, shard, pricing_version, model, succeeded, failed, input_tokens, output_tokens, cost)
  SELECT job_id, shard, pricing_version, model, succeeded, failed, input_tokens, output_tokens, cost FROM allowed
  ON CONFLICT (job_id, shard, pricing_version) DO UPDATE SET
    succeeded = job_usage.succeeded + excluded.succeeded,
    failed = job_usage.failed + excluded.failed,
    input_tokens = job_usage.input_tokens + excluded.input_tokens,
    output_tokens = job_usage.output_tokens + excluded.output_tokens,
    cost = job_usage.cost + excluded.cost,
    updated_at = now()
)
SELECT n::int AS n FROM allowed`;

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

/** A shard's part of one write: its results, in the order they finished. */
interface ShardBatch {
  target: ShardResultsTarget;
  items: { index: number; result: UnitResult }[];
}

/**
 * Records `batches` (one per shard, with their usage) in one statement and returns the positions
 * of those recorded: those without a holder, and those whose claim still holds its shard.
 */
async function writeBatches(queryable: Queryable, batches: readonly ShardBatch[]): Promise<Set<number>> {
  const columns = {
    holders: [] as (string | null)[],
    jobIds: [] as string[],
    shards: [] as number[],
    pricingVersions: [] as string[],
    models: [] as string[],
    firsts: [] as number[],
    lasts: [] as number[],
    indexes: [] as string[],
    errorPositions: [] as string[],
    lines: [] as string[],
    succeeded: [] as number[],
    failed: [] as number[],
    inputTokens: [] as number[],
    outputTokens: [] as number[],
    costs: [] as (number | null)[],
    errorBatches: [] as number[],
    errorCodes: [] as string[],
  };
  for (const { target, items } of batches) {
    const batchNumber = columns.jobIds.length + 1;
    const indexes: number[] = [];
    const errorPositions: number[] = [];
    let lines = '';
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let inputTokens = 0;
    let outputTokens = 0;
    // Unknown (null) once any unit's price is unknown: never a silent 0.
    let cost: number | null = 0;
    for (const { index, result } of items) {
      if (result.status === 'error') {
        errorPositions.push(indexes.length);
        columns.errorBatches.push(batchNumber);
        columns.errorCodes.push(result.error?.code ?? 'unknown');
      }
      lines += indexes.length === 0 ? resultLine(index, result) : `\n${resultLine(index, result)}`;
      indexes.push(index);
      if (index < first) first = index;
      if (index > last) last = index;
      inputTokens += result.usage.inputTokens;
      outputTokens += result.usage.outputTokens;
      cost = cost === null || result.cost === null ? null : cost + result.cost;
    }
    columns.holders.push(target.holder ?? null);
    columns.jobIds.push(target.jobId);
    columns.shards.push(target.shard);
    columns.pricingVersions.push(target.pricingVersion);
    columns.models.push(target.model);
    columns.firsts.push(first);
    columns.lasts.push(last);
    columns.indexes.push(`{${indexes.join(',')}}`);
    columns.errorPositions.push(`{${errorPositions.join(',')}}`);
    columns.lines.push(lines);
    columns.succeeded.push(indexes.length - errorPositions.length);
    columns.failed.push(errorPositions.length);
    columns.inputTokens.push(inputTokens);
    columns.outputTokens.push(outputTokens);
    columns.costs.push(cost);
  }
  const { rows } = await queryable.query<{ n: number }>(
    writeBatchesSql,
    [
      columns.holders,
      columns.jobIds,
      columns.shards,
      columns.pricingVersions,
      columns.models,
      columns.firsts,
      columns.lasts,
      columns.indexes.join(';'),
      columns.errorPositions.join(';'),
      columns.lines.join('\u001e'),
      columns.succeeded,
      columns.failed,
      columns.inputTokens,
      columns.outputTokens,
      columns.costs,
      columns.errorBatches,
      columns.errorCodes,
    ],
    { prepare: 'write-result-batches' },
  );
  return new Set(rows.map((row) => row.n - 1));
}

/**
 * A worker's group-committing ledger writer. Results of every shard the worker runs that arrive
 * while a write is in progress are written together by the next statement, one row per shard, so
 * the ledger keeps up with thousands of units a second while each result is still committed before
 * its `write` resolves. The engine holds a unit's concurrency slot until then, so units finished
 * but not yet recorded never exceed the concurrency: a crash re-sends at most that many.
 *
 * @example
 * ```ts
 * const ledger = createResultLedger(database);
 * const writer = ledger.writer({ jobId, shard, indexOffset, model, pricingVersion, holder: task.holder });
 * engine.run(source, job, { checkpoint: { isDone, markDone: (result) => writer.write(result) } });
 * ```
 */
export function createResultLedger(queryable: Queryable, options: ResultLedgerOptions = {}): ResultLedger {
  const maxBatch = options.maxBatch ?? 1000;
  let pending: Pending[] = [];
  let writing = false;

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const taken = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch);
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch);
      // One batch per shard: a statement may add to a shard's usage row only once. Results of a
      // second claim of the same shard (a run that lost its lease, and the next one) wait for the
      // next statement; only one of the two claims can still hold the shard.
      const byShard = new Map<string, Pending[]>();
      const deferred: Pending[] = [];
      for (const item of taken) {
        const key = `${item.target.jobId}:${item.target.shard}`;
        const items = byShard.get(key);
        if (items === undefined) byShard.set(key, [item]);
        else if ((items[0] as Pending).target.holder === item.target.holder) items.push(item);
        else deferred.push(item);
      }
      if (deferred.length > 0) pending = [...deferred, ...pending];
      const groups = [...byShard.values()];
      try {
        const recorded = await writeBatches(
          queryable,
          groups.map((items) => ({ target: (items[0] as Pending).target, items })),
        );
        groups.forEach((items, position) => {
          const { target } = items[0] as Pending;
          const fenced = recorded.has(position)
            ? undefined
            : new LedgerFencedError(target.jobId, target.shard);
          for (const item of items) {
            if (fenced === undefined) item.resolve();
            else item.reject(fenced);
          }
        });
      } catch (error) {
        for (const item of taken) item.reject(error);
      }
    }
    writing = false;
  }

  return {
    writer(target) {
      return {
        write(result) {
          return new Promise<void>((resolve, reject) => {
            pending.push({ target, index: result.index + target.indexOffset, result, resolve, reject });
            if (!writing) {
              writing = true;
              setImmediate(() => void drain());
            }
          });
        },
      };
    },
  };
}

/**
 * Records one finished unit in the ledger at its own index, with its usage under shard 0 by
 * default. No lease is checked, and nothing stops a unit from being recorded twice: for tools and
 * tests; workers use {@link createResultLedger}.
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
  const target = { jobId, shard: options.shard ?? 0, indexOffset: 0, ...options };
  await writeBatches(queryable, [{ target, items: [{ index: result.index, result }] }]);
}

// How far before a range a batch overlapping it can start: a worker's batch never crosses a shard
// boundary, and batches carried over from per-unit rows span under 1,000 indexes.
const batchReach = '(SELECT greatest(max(end_index - start_index), 1000) FROM job_shards WHERE job_id = $1)';

// Batches of job $1 that overlap the unit indexes [$2, $3), none starting `reach` or more before $2:
// the bound keeps the index scan to the batches near the range, however long the job.
const overlappingBatches = (reach: string) => `job_result_batches AS b
  WHERE b.job_id = $1 AND b.first_index < $3 AND b.last_index >= $2 AND b.first_index > $2 - ${reach}`;

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
  const { rows } = await queryable.query<{ indexes: string }>(
    `SELECT array_to_string(array_agg(i), ',') AS indexes
       FROM (SELECT unnest(b.indexes) AS i FROM ${overlappingBatches(batchReach)}) AS recorded
      WHERE i >= $2 AND i < $3`,
    [jobId, range.start, range.end],
  );
  const text = rows[0]?.indexes ?? '';
  return new Set(text === '' ? [] : text.split(',').map(Number));
}

/**
 * How many units of `jobId` are in the ledger.
 *
 * @example
 * ```ts
 * const left = totalUnits - (await countRecorded(database, jobId));
 * ```
 */
export async function countRecorded(queryable: Queryable, jobId: string): Promise<number> {
  const { rows } = await queryable.query<{ count: number }>(
    'SELECT coalesce(sum(cardinality(indexes)), 0)::int AS count FROM job_result_batches WHERE job_id = $1',
    [jobId],
  );
  return rows[0]?.count ?? 0;
}

/**
 * Removes the units of `jobId` that ended in error from the ledger (retry-failed sends them
 * again); their usage stays counted. Returns how many were removed.
 *
 * @example
 * ```ts
 * await database.transaction((transaction) => removeFailedResults(transaction, jobId));
 * ```
 */
export async function removeFailedResults(queryable: Queryable, jobId: string): Promise<number> {
  const { rows } = await queryable.query<{ removed: number }>(
    `WITH failed AS (
       SELECT job_id, id, indexes, error_positions, string_to_array(lines, E'\\n') AS lines
         FROM job_result_batches WHERE job_id = $1 AND cardinality(error_positions) > 0 FOR UPDATE
     ), kept AS (
       SELECT f.id, array_agg(f.indexes[p] ORDER BY p) AS indexes,
              string_agg(f.lines[p], E'\\n' ORDER BY p) AS lines
         FROM failed AS f, generate_subscripts(f.indexes, 1) AS p
        WHERE NOT (p - 1 = ANY (f.error_positions))
        GROUP BY f.id
     ), rewritten AS (
       UPDATE job_result_batches AS b
          SET indexes = k.indexes, lines = k.lines, error_positions = '{}',
              first_index = (SELECT min(i) FROM unnest(k.indexes) AS i),
              last_index = (SELECT max(i) FROM unnest(k.indexes) AS i)
         FROM kept AS k WHERE b.job_id = $1 AND b.id = k.id
     ), emptied AS (
       DELETE FROM job_result_batches AS b USING failed AS f
        WHERE b.job_id = $1 AND b.id = f.id AND NOT EXISTS (SELECT 1 FROM kept AS k WHERE k.id = f.id)
     )
     SELECT coalesce(sum(cardinality(error_positions)), 0)::int AS removed FROM failed`,
    [jobId],
  );
  return rows[0]?.removed ?? 0;
}

/** Most unit indexes one page of a download covers: its lines are sorted in memory. */
const downloadWindow = 2000;

/**
 * The results of `jobId` in input order as JSON-lines text, a window of up to 2000 unit indexes at
 * a time (each line ending in a newline): the stored lines as they are, sorted by index, nothing
 * parsed. This is the `jsonl` download; results recorded while it runs may or may not be included.
 *
 * @example
 * ```ts
 * for await (const text of readResultText(database, jobId)) process.stdout.write(text);
 * ```
 */
export async function* readResultText(queryable: Queryable, jobId: string): AsyncGenerator<string> {
  const { rows: bounds } = await queryable.query<{
    first: number | null;
    last: number | null;
    reach: number;
  }>(
    `SELECT min(first_index) AS first, max(last_index) AS last, ${batchReach} AS reach
       FROM job_result_batches WHERE job_id = $1`,
    [jobId],
  );
  const { first = null, last = null, reach = 0 } = bounds[0] ?? {};
  if (first === null || last === null) return;
  for (let start = first; start <= last; start += downloadWindow) {
    const end = start + downloadWindow;
    const { rows } = await queryable.query<{ indexes: number[]; lines: string }>(
      `SELECT b.indexes, b.lines FROM ${overlappingBatches('$4::int')}`,
      [jobId, start, end, reach],
      { prepare: 'read-result-window' },
    );
    const window: { index: number; line: string }[] = [];
    for (const row of rows) {
      const lines = row.lines.split('\n');
      for (let position = 0; position < row.indexes.length; position++) {
        const index = row.indexes[position] as number;
        if (index >= start && index < end) window.push({ index, line: lines[position] as string });
      }
    }
    if (window.length === 0) continue;
    window.sort((a, b) => a.index - b.index);
    let text = '';
    for (const entry of window) text += `${entry.line}\n`;
    yield text;
  }
}

/**
 * Every result of `jobId` in input order, parsed.
 *
 * @example
 * ```ts
 * for await (const line of readResults(database, jobId)) console.log(line.index, line.status);
 * ```
 */
export async function* readResults(queryable: Queryable, jobId: string): AsyncGenerator<ResultLine> {
  for await (const text of readResultText(queryable, jobId)) {
    for (const line of text.split('\n')) if (line !== '') yield JSON.parse(line) as ResultLine;
  }
}
