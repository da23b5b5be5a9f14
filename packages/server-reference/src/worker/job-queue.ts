import type { Queryable } from '../db/database.js';

/**
 * The job queue: a Postgres table (`job_queue`) holding one task per job, ids only. Workers claim a
 * ready task, or one whose lease ran out because its worker died, with `FOR UPDATE SKIP LOCKED`, so
 * any number of workers on any number of machines share it without taking the same task twice.
 * The same SQL runs on PGlite and Postgres.
 */

/** A claimed task. */
export interface ClaimedTask {
  /** The job to run. */
  jobId: string;
  /** Times the task has been claimed, this claim included. */
  attempts: number;
}

/**
 * Puts job `jobId` on the queue (again), ready for any worker.
 *
 * @example
 * ```ts
 * await database.transaction(async (transaction) => {
 *   const { job } = await insertJob(transaction, newJob);
 *   await enqueueJob(transaction, job.id);
 * });
 * ```
 */
export async function enqueueJob(queryable: Queryable, jobId: string): Promise<void> {
  await queryable.query(
    `INSERT INTO job_queue (job_id) VALUES ($1)
     ON CONFLICT (job_id) DO UPDATE SET state = 'ready', locked_by = NULL, lease_expires_at = NULL`,
    [jobId],
  );
}

/**
 * Claims the oldest task that is ready or whose lease expired, for `leaseMs` milliseconds.
 *
 * @example
 * ```ts
 * const task = await claimTask(database, 'worker-1', 30_000);
 * if (task !== undefined) await run(task.jobId);
 * ```
 */
export async function claimTask(
  queryable: Queryable,
  workerId: string,
  leaseMs: number,
): Promise<ClaimedTask | undefined> {
  const { rows } = await queryable.query<{ job_id: string; attempts: number }>(
    `UPDATE job_queue SET state = 'active', locked_by = $1, attempts = attempts + 1,
        lease_expires_at = clock_timestamp() + $2 * interval '1 millisecond'
      WHERE job_id = (
        SELECT job_id FROM job_queue
         WHERE state = 'ready' OR lease_expires_at < clock_timestamp()
         ORDER BY enqueued_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING job_id, attempts`,
    [workerId, leaseMs],
  );
  const row = rows[0];
  return row === undefined ? undefined : { jobId: row.job_id, attempts: row.attempts };
}

/**
 * Extends the lease of a task this worker holds and reads its job's status. Undefined when the
 * worker no longer holds it (the lease expired and another worker took it, or it was removed).
 *
 * @example
 * ```ts
 * const status = await renewLease(database, jobId, workerId, 30_000);
 * if (status === undefined || status === 'cancelling') run.abort();
 * ```
 */
export async function renewLease(
  queryable: Queryable,
  jobId: string,
  workerId: string,
  leaseMs: number,
): Promise<string | undefined> {
  const { rows } = await queryable.query<{ status: string }>(
    `UPDATE job_queue AS q SET lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       FROM jobs AS j
      WHERE q.job_id = $1 AND q.locked_by = $2 AND q.state = 'active' AND j.id = q.job_id
      RETURNING j.status`,
    [jobId, workerId, leaseMs],
  );
  return rows[0]?.status;
}

/**
 * Removes the task of a job that reached a final status.
 *
 * @example
 * ```ts
 * await removeTask(database, jobId);
 * ```
 */
export async function removeTask(queryable: Queryable, jobId: string): Promise<void> {
  await queryable.query('DELETE FROM job_queue WHERE job_id = $1', [jobId]);
}

/**
 * Hands a task this worker holds back to the queue at once (shutdown), without waiting for the
 * lease to expire.
 *
 * @example
 * ```ts
 * await releaseTask(database, jobId, workerId);
 * ```
 */
export async function releaseTask(queryable: Queryable, jobId: string, workerId: string): Promise<void> {
  await queryable.query(
    `UPDATE job_queue SET state = 'ready', locked_by = NULL, lease_expires_at = NULL
      WHERE job_id = $1 AND locked_by = $2`,
    [jobId, workerId],
  );
}
