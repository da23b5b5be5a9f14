import type { UnitResult } from '@llmbatch/core';
import type { Queryable } from '../db/database.js';

/** One line of a job's results download. */
export interface ResultLine {
  /** Position of the unit in the input file, from 0. */
  index: number;
  status: 'ok' | 'error';
  value: unknown;
  raw: string | null;
  error: { code: string; message: string } | null;
  usage: UnitResult['usage'];
  cost: number | null;
  durationMs: number;
}

/**
 * Writes one finished unit into the ledger; a unit already recorded (a resumed worker) is kept as
 * it was, so each unit's result exists exactly once.
 *
 * @example
 * ```ts
 * engine.run(source, job, { checkpoint: { isDone, markDone: (result) => recordResult(database, jobId, result) } });
 * ```
 */
export async function recordResult(queryable: Queryable, jobId: string, result: UnitResult): Promise<void> {
  const line: Omit<ResultLine, 'index' | 'status'> = {
    value: result.value ?? null,
    raw: result.raw ?? null,
    error: result.error === undefined ? null : { code: result.error.code, message: result.error.message },
    usage: result.usage,
    cost: result.cost,
    durationMs: result.durationMs,
  };
  await queryable.query(
    `INSERT INTO job_results (job_id, unit_index, status, result) VALUES ($1, $2, $3, $4)
     ON CONFLICT (job_id, unit_index) DO NOTHING`,
    [jobId, result.index, result.status, JSON.stringify(line)],
  );
}

/**
 * Indexes of the units of `jobId` already in the ledger (a resumed worker skips them).
 *
 * @example
 * ```ts
 * const done = await finishedIndexes(database, jobId);
 * const checkpoint = { isDone: (_key: string, index: number) => done.has(index) };
 * ```
 */
export async function finishedIndexes(queryable: Queryable, jobId: string): Promise<Set<number>> {
  const { rows } = await queryable.query<{ unit_index: number }>(
    'SELECT unit_index FROM job_results WHERE job_id = $1',
    [jobId],
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
  pageSize = 500,
): AsyncGenerator<ResultLine> {
  let after = -1;
  for (;;) {
    const { rows } = await queryable.query<{
      unit_index: number;
      status: 'ok' | 'error';
      result: Omit<ResultLine, 'index' | 'status'>;
    }>(
      `SELECT unit_index, status, result FROM job_results WHERE job_id = $1 AND unit_index > $2
        ORDER BY unit_index LIMIT $3`,
      [jobId, after, pageSize],
    );
    for (const row of rows) yield { index: row.unit_index, status: row.status, ...row.result };
    const last = rows.at(-1);
    if (last === undefined || rows.length < pageSize) return;
    after = last.unit_index;
  }
}
