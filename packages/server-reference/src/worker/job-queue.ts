import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.js';

/**
 * The job queue: a Postgres table (`job_tasks`) holding one task per job shard, ids only. A job
 * starts with its plan task (shard {@link planShard}), which counts the units and enqueues one task
 * per shard. Workers claim a ready task, or one whose lease ran out because its worker died, with
 * `FOR UPDATE SKIP LOCKED`, so any number of workers on any number of machines share it without
 * taking the same task twice. The same SQL runs on PGlite and Postgres.
 */

/** The shard number of a job's plan task. */
export const planShard = -1;

/** A claimed task. */
export interface ClaimedTask {
  /** The job to run. */
  jobId: string;
  /** The shard to run, or {@link planShard} to plan the job. */
  shard: number;
  /** Times the task has been claimed, this claim included. */
  attempts: number;
  /**
   * Who holds the task for this claim: the worker's id and a number of this claim's own. Heartbeats,
   * hand-backs and ledger writes name it, so a run whose task was claimed again — by another worker
   * or by the same one after its lease ran out — holds nothing any more and records nothing.
   */
  holder: string;
}

/** The channel `enqueueTasks` notifies (at commit) so idle workers claim at once instead of at their next poll. */
export const taskChannel = 'llmbatch_job_tasks';

/** Shards of one job that run at once when the job does not say. */
export const defaultMaxParallelShards = 4;

/**
 * Puts tasks on the queue (again), ready for any worker: the plan task of a new job by default,
 * or the given shards. Notifies {@link taskChannel}, so idle workers wake at once.
 *
 * @example
 * ```ts
 * await database.transaction(async (transaction) => {
 *   const { job } = await insertJob(transaction, newJob);
 *   await enqueueTasks(transaction, job.id);
 * });
 * ```
 */
export async function enqueueTasks(
  queryable: Queryable,
  jobId: string,
  shards: readonly number[] = [planShard],
): Promise<void> {
  if (shards.length === 0) return;
  await queryable.query(
    `INSERT INTO job_tasks (job_id, shard)
       SELECT $1, shard FROM unnest(string_to_array($2, ',')::int[]) AS shard
     ON CONFLICT (job_id, shard) DO UPDATE
       SET state = 'ready', locked_by = NULL, lease_expires_at = NULL, attempts = 0`,
    [jobId, shards.join(',')],
  );
  // Delivered when the transaction commits (or now, outside one).
  await queryable.query('SELECT pg_notify($1, $2)', [taskChannel, jobId]);
}

/**
 * Claims the oldest task that is ready or whose lease expired, for `leaseMs` milliseconds. A shard
 * is skipped while its job already has `maxParallelShards` shards running (the job's own setting,
 * or {@link defaultMaxParallelShards}).
 *
 * @example
 * ```ts
 * const task = await claimTask(database, 'worker-1', 30_000);
 * if (task !== undefined) await runTask(context, task);
 * ```
 */
export async function claimTask(
  queryable: Queryable,
  workerId: string,
  leaseMs: number,
): Promise<ClaimedTask | undefined> {
  const holder = `${workerId}#${randomBytes(4).toString('hex')}`;
  const { rows } = await queryable.query<{ job_id: string; shard: number; attempts: number }>(
    `UPDATE job_tasks SET state = 'active', locked_by = $1, attempts = attempts + 1,
        lease_expires_at = clock_timestamp() + $2 * interval '1 millisecond'
      WHERE (job_id, shard) = (
        SELECT t.job_id, t.shard FROM job_tasks AS t JOIN jobs AS j ON j.id = t.job_id
         WHERE (t.state = 'ready' OR t.lease_expires_at < clock_timestamp())
           AND (t.shard = $3 OR (
             SELECT count(*) FROM job_tasks AS a
              WHERE a.job_id = t.job_id AND a.state = 'active' AND a.lease_expires_at >= clock_timestamp()
           ) < coalesce((j.spec->>'maxParallelShards')::int, $4))
         ORDER BY t.enqueued_at, t.shard LIMIT 1 FOR UPDATE OF t SKIP LOCKED)
      RETURNING job_id, shard, attempts`,
    [holder, leaseMs, planShard, defaultMaxParallelShards],
    { prepare: 'claim-task' },
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : { jobId: row.job_id, shard: row.shard, attempts: row.attempts, holder };
}

/**
 * Extends the lease of a claimed task and reads its job's status. Undefined when the claim no
 * longer holds it (the lease expired and the task was claimed again, or it was removed).
 *
 * @example
 * ```ts
 * const status = await renewLease(database, task, 30_000);
 * if (status === undefined || status === 'cancelling') run.abort();
 * ```
 */
export async function renewLease(
  queryable: Queryable,
  task: { jobId: string; shard: number; holder: string },
  leaseMs: number,
): Promise<string | undefined> {
  const { rows } = await queryable.query<{ status: string }>(
    `UPDATE job_tasks AS t SET lease_expires_at = clock_timestamp() + $4 * interval '1 millisecond'
       FROM jobs AS j
      WHERE t.job_id = $1 AND t.shard = $2 AND t.locked_by = $3 AND t.state = 'active' AND j.id = t.job_id
      RETURNING j.status`,
    [task.jobId, task.shard, task.holder, leaseMs],
    { prepare: 'renew-lease' },
  );
  return rows[0]?.status;
}

/**
 * Removes one task (`shard` given) or every task of a job.
 *
 * @example
 * ```ts
 * await removeTasks(database, jobId); // the job reached a final status
 * ```
 */
export async function removeTasks(queryable: Queryable, jobId: string, shard?: number): Promise<void> {
  if (shard === undefined) await queryable.query('DELETE FROM job_tasks WHERE job_id = $1', [jobId]);
  else await queryable.query('DELETE FROM job_tasks WHERE job_id = $1 AND shard = $2', [jobId, shard]);
}

/**
 * Removes the tasks of a job no worker holds, and says how many are still held (running).
 *
 * @example
 * ```ts
 * const running = await removeWaitingTasks(transaction, jobId);
 * await transitionJob(transaction, jobId, running === 0 ? 'cancelled' : 'cancelling');
 * ```
 */
export async function removeWaitingTasks(queryable: Queryable, jobId: string): Promise<number> {
  await queryable.query(
    `DELETE FROM job_tasks WHERE job_id = $1
        AND (state = 'ready' OR lease_expires_at < clock_timestamp())`,
    [jobId],
  );
  const { rows } = await queryable.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM job_tasks WHERE job_id = $1',
    [jobId],
  );
  return rows[0]?.count ?? 0;
}

/**
 * Hands a claimed task back to the queue at once (shutdown), without waiting for the lease to
 * expire. The claim is not counted against the task's attempts.
 *
 * @example
 * ```ts
 * await releaseTask(database, task);
 * ```
 */
export async function releaseTask(
  queryable: Queryable,
  task: { jobId: string; shard: number; holder: string },
): Promise<void> {
  await queryable.query(
    `UPDATE job_tasks SET state = 'ready', locked_by = NULL, lease_expires_at = NULL,
        attempts = greatest(attempts - 1, 0)
      WHERE job_id = $1 AND shard = $2 AND locked_by = $3`,
    [task.jobId, task.shard, task.holder],
  );
}
