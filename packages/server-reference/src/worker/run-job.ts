import { AdapterError } from '@llmbatch/adapters';
import type { Unit } from '@llmbatch/core';
import { createEngine, createPriceTable, type EngineOptions, LLMBatchError } from '@llmbatch/core';
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/key-ring.js';
import type { Database, Queryable } from '../db/database.js';
import { openSource } from '../files/file-format.js';
import { type FileRow, findFile } from '../files/file-store.js';
import { finishedIndexes, LedgerFencedError, type ResultLedger } from '../jobs/job-results.js';
import { transitionJob } from '../jobs/job-status.js';
import { findJobForWorker, type JobRow } from '../jobs/job-store.js';
import { readProviderKey } from '../provider-keys/provider-key-store.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { objectKeyFor, StorageError } from '../storage/storage-driver.js';
import type { WallClock } from '../wall-clock.js';
import {
  type ClaimedTask,
  defaultMaxParallelShards,
  enqueueTasks,
  planShard,
  releaseTask,
  removeTasks,
  renewLease,
} from './job-queue.js';
import type { ProviderCache } from './provider-cache.js';
import { readShardInput, writeShardInputs } from './shard-inputs.js';

/** What running one task needs. */
export interface RunTaskContext {
  database: Database;
  storage: StorageDriver;
  keyRing: KeyRing;
  clock: WallClock;
  logger: Logger;
  workerId: string;
  leaseMs: number;
  pollIntervalMs: number;
  maxAttempts: number;
  /** Units per shard when a job is planned. */
  shardSize: number;
  /** Milliseconds in-flight units may take to finish after a shutdown before they are aborted. */
  drainMs: number;
  engineOptions: Omit<EngineOptions, 'providers' | 'providerConfig' | 'concurrency'>;
  /** Where this worker's shard runs record their results (one group-committing writer for all). */
  results: ResultLedger;
  /** The providers of the jobs this worker runs, shared by their shards. */
  providers: ProviderCache;
  /** Tasks this worker runs at once (shards of one job among them share a provider). */
  maxTasks: number;
  /** Aborted when the worker shuts down: no new units start, the task goes back to the queue. */
  shutdown: AbortSignal;
}

/** Why a task stopped before the end of its work. */
type StopReason = 'cancel' | 'job-ended' | 'lease-lost' | 'shutdown';

/** The name the engine knows a job's provider by (`tenant:<model>`). */
export const providerName = 'tenant';

/** Locks the job row: shard completions and cancels of one job happen one at a time. */
async function lockJob(transaction: Queryable, jobId: string): Promise<JobRow | undefined> {
  const { rows } = await transaction.query<JobRow>('SELECT * FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
  return rows[0];
}

async function fail(context: RunTaskContext, job: JobRow, code: string, message: string): Promise<void> {
  await context.database.transaction(async (transaction) => {
    await transitionJob(transaction, job.id, 'failed', {
      finishedAt: context.clock.now(),
      error: { code, message },
    });
    await removeTasks(transaction, job.id);
  });
  context.logger.warn({ jobId: job.id, orgId: job.org_id, code }, message);
}

/** Makes a cancelling job `cancelled` once it has no task left (call with its row locked). */
async function finishCancelledIn(
  transaction: Queryable,
  context: RunTaskContext,
  jobId: string,
): Promise<void> {
  const { rows } = await transaction.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM job_tasks WHERE job_id = $1',
    [jobId],
  );
  if (rows[0]?.count === 0)
    await transitionJob(transaction, jobId, 'cancelled', { finishedAt: context.clock.now() });
}

/** Removes a stopped task; the last task of a cancelling job makes it `cancelled`. */
async function finishCancelled(context: RunTaskContext, task: ClaimedTask): Promise<void> {
  await context.database.transaction(async (transaction) => {
    await lockJob(transaction, task.jobId);
    await removeTasks(transaction, task.jobId, task.shard);
    await finishCancelledIn(transaction, context, task.jobId);
  });
}

/**
 * Keeps the lease of `task` alive every poll interval and stops the work when the job is
 * cancelled or ended elsewhere, the lease is lost, or the worker shuts down.
 */
function watchTask(context: RunTaskContext, task: ClaimedTask, stop: (reason: StopReason) => void) {
  const onShutdown = () => stop('shutdown');
  context.shutdown.addEventListener('abort', onShutdown);
  if (context.shutdown.aborted) stop('shutdown');
  const heartbeat = setInterval(() => {
    renewLease(context.database, task, context.leaseMs).then(
      (status) => {
        if (status === undefined) stop('lease-lost');
        else if (status === 'cancelling' || status === 'cancelled') stop('cancel');
        else if (status === 'failed' || status === 'completed') stop('job-ended');
      },
      (error: unknown) => context.logger.warn({ err: error, jobId: task.jobId }, 'heartbeat failed'),
    );
  }, context.pollIntervalMs);
  return () => {
    clearInterval(heartbeat);
    context.shutdown.removeEventListener('abort', onShutdown);
  };
}

/**
 * The units of `source` until `stopped()` says so (then the source is closed). A plain iterator
 * rather than an async generator: it hands on the source's own promises, adding nothing per unit.
 */
function untilStopped(source: AsyncIterable<Unit>, stopped: () => boolean): AsyncIterable<Unit> {
  return {
    [Symbol.asyncIterator]() {
      const inner = source[Symbol.asyncIterator]();
      const end = async (): Promise<IteratorResult<Unit>> => {
        await inner.return?.();
        return { done: true, value: undefined };
      };
      return {
        next: () => (stopped() ? end() : inner.next()),
        return: end,
      };
    },
  };
}

/** Reads what a task of `job` needs, or fails the job saying which part is gone. */
async function loadInputs(
  context: RunTaskContext,
  job: JobRow,
): Promise<{ file: FileRow; key: { provider: string; baseUrl: string | null; apiKey: string } } | undefined> {
  const file = job.file_id === null ? undefined : await findFile(context.database, job.org_id, job.file_id);
  if (file === undefined) {
    await fail(context, job, 'file-missing', 'The input file of this job was deleted');
    return undefined;
  }
  const key =
    job.provider_key_id === null
      ? undefined
      : await readProviderKey(context.database, context.keyRing, job.org_id, job.provider_key_id);
  if (key === undefined) {
    await fail(context, job, 'provider-key-missing', 'The provider key of this job was deleted');
    return undefined;
  }
  return { file, key };
}

/** The shards among `shards` that have units without a result yet. */
async function shardsWithMissingUnits(queryable: Queryable, jobId: string, shards: readonly number[]) {
  if (shards.length === 0) return [];
  const { rows } = await queryable.query<{ shard: number; start_index: number; end_index: number }>(
    `SELECT shard, start_index, end_index FROM job_shards
      WHERE job_id = $1 AND shard = ANY(string_to_array($2, ',')::int[]) ORDER BY shard`,
    [jobId, shards.join(',')],
  );
  const missing: number[] = [];
  for (const row of rows) {
    const recorded = await finishedIndexes(queryable, jobId, { start: row.start_index, end: row.end_index });
    if (recorded.size < row.end_index - row.start_index) missing.push(row.shard);
  }
  return missing;
}

/**
 * Plans a job: streams its input once through the adapters and stores it as shards of
 * `shardSize` units (JSON lines), then queues the shards in one transaction — only once the whole
 * input parsed, so a broken row anywhere fails the job before anything is sent. Planned again
 * (after `retry-failed`, or when its worker died), it rewrites the same objects and queues only
 * the shards with units left to send.
 */
async function planJob(context: RunTaskContext, task: ClaimedTask, job: JobRow, log: Logger): Promise<void> {
  const inputs = await loadInputs(context, job);
  if (inputs === undefined) return;
  const { database } = context;
  let stopReason: StopReason | undefined;
  const unwatch = watchTask(context, task, (reason) => {
    stopReason ??= reason;
  });
  // Shard boundaries never move once planned (a retried job keeps them), whatever the setting now.
  const { rows: planned } = await database.query<{ end_index: number }>(
    'SELECT end_index FROM job_shards WHERE job_id = $1 AND shard = 0',
    [job.id],
  );
  const shardSize = planned[0]?.end_index ?? context.shardSize;
  let total: number;
  const shards: number[] = [];
  let queued = 0;
  try {
    const units = openSource(inputs.file.format, () =>
      context.storage.read(objectKeyFor(job.org_id, inputs.file.id)),
    );
    total = await writeShardInputs(
      context.storage,
      job.org_id,
      job.id,
      units,
      shardSize,
      () => stopReason !== undefined,
      async ({ shard, start, end }) => {
        await database.query(
          `INSERT INTO job_shards (job_id, shard, start_index, end_index, input_stored)
           VALUES ($1, $2, $3, $4, true)
           ON CONFLICT (job_id, shard) DO UPDATE SET input_stored = true`,
          [job.id, shard, start, end],
        );
        shards.push(shard);
      },
    );
  } catch (error) {
    unwatch();
    if (StorageError.isInstance(error) && error.code === 'object-not-found')
      return fail(context, job, 'file-missing', 'The input file of this job is gone from storage');
    if (!AdapterError.isInstance(error)) throw error;
    return fail(context, job, 'invalid-input', `The input file could not be read: ${error.message}`);
  }
  unwatch();
  if (stopReason === 'shutdown') return releaseTask(database, task);
  if (stopReason === 'cancel') return finishCancelled(context, task);
  if (stopReason !== undefined) return;
  // Every shard is queued at once, after the whole input parsed: a broken row anywhere fails the
  // job before anything is sent.
  await database.transaction(async (transaction) => {
    const locked = await lockJob(transaction, job.id);
    await removeTasks(transaction, job.id, planShard);
    if (locked?.status === 'cancelling') {
      // Cancelled while the plan ran (after its last heartbeat): no shard was queued, so finish it.
      await finishCancelledIn(transaction, context, job.id);
      return;
    }
    if (locked?.status !== 'running') return;
    await transaction.query('UPDATE jobs SET total_units = $2 WHERE id = $1', [job.id, total]);
    const todo = await shardsWithMissingUnits(transaction, job.id, shards);
    await transaction.query(
      `UPDATE job_shards SET completed_at = CASE WHEN shard = ANY(string_to_array($2, ',')::int[]) THEN NULL
              ELSE coalesce(completed_at, $3) END
        WHERE job_id = $1`,
      [job.id, todo.join(','), context.clock.now()],
    );
    await enqueueTasks(transaction, job.id, todo);
    queued = todo.length;
    // Nothing left to send (an empty file, or every unit already done): the job is complete.
    if (todo.length === 0)
      await transitionJob(transaction, job.id, 'completed', { finishedAt: context.clock.now() });
  });
  log.info({ units: total, shardSize, queued }, 'job planned');
}

/** Marks a shard done; the last shard of a job completes it. */
async function completeShard(context: RunTaskContext, task: ClaimedTask, log: Logger): Promise<void> {
  const completed = await context.database.transaction(async (transaction) => {
    const job = await lockJob(transaction, task.jobId);
    await transaction.query(
      'UPDATE job_shards SET completed_at = $3 WHERE job_id = $1 AND shard = $2 AND completed_at IS NULL',
      [task.jobId, task.shard, context.clock.now()],
    );
    await removeTasks(transaction, task.jobId, task.shard);
    if (job?.status === 'cancelling') {
      // Cancelled while this shard finished: the cancel ends with the job's last task.
      await finishCancelledIn(transaction, context, task.jobId);
      return false;
    }
    const { rows } = await transaction.query<{ open: number; tasks: number }>(
      `SELECT (SELECT count(*)::int FROM job_shards WHERE job_id = $1 AND completed_at IS NULL) AS open,
              (SELECT count(*)::int FROM job_tasks WHERE job_id = $1) AS tasks`,
      [task.jobId],
    );
    if (rows[0]?.open !== 0 || rows[0]?.tasks !== 0) return false;
    return (
      (await transitionJob(transaction, task.jobId, 'completed', { finishedAt: context.clock.now() })) !==
      undefined
    );
  });
  if (completed) log.info('job finished');
}

/**
 * Runs one shard through the core engine: reads the input from storage as a stream, sends the
 * shard's units with the job's concurrency, group-commits each result (and its usage) to the ledger
 * as it arrives (units already there are skipped), keeps the lease alive, and stops within one poll
 * interval of a cancel. On shutdown it starts no new unit, lets those in flight finish for up to
 * `drainMs`, then hands the shard back. The provider key is read and decrypted here, by id; it
 * never travels through the queue.
 */
async function runShard(context: RunTaskContext, task: ClaimedTask, job: JobRow, log: Logger): Promise<void> {
  const { database } = context;
  const { rows: ranges } = await database.query<{
    start_index: number;
    end_index: number;
    input_stored: boolean;
  }>('SELECT start_index, end_index, input_stored FROM job_shards WHERE job_id = $1 AND shard = $2', [
    job.id,
    task.shard,
  ]);
  const range = ranges[0];
  if (range === undefined) return removeTasks(database, job.id, task.shard);
  if (!range.input_stored) {
    // The shard inputs were swept (the job ended and was retried before its plan ran): plan again.
    await database.transaction(async (transaction) => {
      await removeTasks(transaction, job.id, task.shard);
      await enqueueTasks(transaction, job.id, [planShard]);
    });
    return;
  }
  const inputs = await loadInputs(context, job);
  if (inputs === undefined) return;
  // Connections for every shard of the job this worker may run at once, one per call in flight.
  const shardsHere = Math.min(context.maxTasks, job.spec.maxParallelShards ?? defaultMaxParallelShards);
  const lent = context.providers.lend(job.id, inputs.key, {
    maxConnections: job.spec.concurrency * shardsHere,
  });
  const prices = context.engineOptions.prices ?? createPriceTable();
  const engine = createEngine({
    ...context.engineOptions,
    prices,
    providers: { [providerName]: lent.provider },
    concurrency: job.spec.concurrency,
  });
  const start = range.start_index;
  const done = await finishedIndexes(database, job.id, { start, end: range.end_index });
  const writer = context.results.writer({
    jobId: job.id,
    shard: task.shard,
    indexOffset: start,
    model: job.spec.model,
    pricingVersion: prices.pricingVersion,
    holder: task.holder,
  });
  const controller = new AbortController();
  let stopReason: StopReason | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  const stop = (reason: StopReason) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    // On shutdown the source ends (no new unit starts) and in-flight units get `drainMs` to finish.
    if (reason === 'shutdown') drainTimer = setTimeout(() => controller.abort(reason), context.drainMs);
    else controller.abort(reason);
  };
  const unwatch = watchTask(context, task, stop);
  log.info({ attempt: task.attempts, alreadyDone: done.size, start, end: range.end_index }, 'shard started');
  try {
    let run: ReturnType<typeof engine.run>;
    try {
      run = engine.run(
        untilStopped(
          readShardInput(context.storage, job.org_id, job.id, task.shard),
          () => stopReason !== undefined,
        ),
        {
          model: `${providerName}:${job.spec.model}`,
          prompt: job.spec.prompt,
          output: job.spec.output,
          ...(job.spec.system === undefined ? {} : { system: job.spec.system }),
          ...(job.spec.temperature === undefined ? {} : { temperature: job.spec.temperature }),
          ...(job.spec.maxTokens === undefined ? {} : { maxTokens: job.spec.maxTokens }),
          ...(job.spec.schema === undefined ? {} : { schema: job.spec.schema }),
        },
        {
          signal: controller.signal,
          ordered: false,
          checkpoint: {
            isDone: (_key, index) => done.has(start + index),
            markDone: (result) =>
              writer.write(result).catch((error: unknown) => {
                // Another worker has the shard now: stop, it sends what this one could not record.
                if (LedgerFencedError.isInstance(error)) stop('lease-lost');
                throw error;
              }),
          },
        },
      );
    } catch (error) {
      // The job itself is invalid (a template or option the engine refuses): retrying cannot help.
      if (!LLMBatchError.isInstance(error)) throw error;
      return await fail(context, job, 'invalid-job', error.message);
    }
    const summary = await run.drain();
    unwatch();
    clearTimeout(drainTimer);
    if (stopReason === 'lease-lost') {
      log.warn('lost the lease; another worker carries on');
    } else if (stopReason === 'shutdown') {
      await releaseTask(database, task);
      log.info({ abortedInFlight: summary.cancelled }, 'released the shard for another worker');
    } else if (stopReason === 'cancel') {
      await finishCancelled(context, task);
      log.info({ cancelledInFlight: summary.cancelled }, 'shard cancelled');
    } else if (stopReason === 'job-ended') {
      await removeTasks(database, job.id, task.shard);
    } else if (summary.reason === 'completed') {
      log.info({ durationMs: summary.durationMs, sent: summary.done }, 'shard finished');
      await completeShard(context, task, log);
    } else {
      const error = summary.error ?? { code: 'run-failed', message: `The run ended: ${summary.reason}` };
      await fail(context, job, error.code, error.message);
    }
  } finally {
    unwatch();
    clearTimeout(drainTimer);
    await engine.close();
  }
}

/**
 * Runs a claimed task: plans its job (the plan task) or runs one shard of it. A task of a job that
 * ended is dropped; a task claimed more than `maxAttempts` times (its workers kept dying) fails
 * the job with `worker-lost`.
 *
 * @example
 * ```ts
 * const task = await claimTask(database, workerId, leaseMs);
 * if (task !== undefined) await runTask(context, task);
 * ```
 */
export async function runTask(context: RunTaskContext, task: ClaimedTask): Promise<void> {
  const { database } = context;
  const job = await findJobForWorker(database, task.jobId);
  if (
    job === undefined ||
    job.status === 'completed' ||
    job.status === 'failed' ||
    job.status === 'cancelled'
  ) {
    await removeTasks(database, task.jobId, task.shard);
    return;
  }
  if (job.status === 'cancelling') return finishCancelled(context, task);
  if (task.attempts > context.maxAttempts) {
    const what = task.shard === planShard ? 'The job' : `Shard ${task.shard} of the job`;
    return fail(
      context,
      job,
      'worker-lost',
      `${what} was started ${context.maxAttempts} times and its worker stopped each time`,
    );
  }
  if (job.status === 'queued') {
    const previous = await transitionJob(database, job.id, 'running', { startedAt: context.clock.now() });
    // Cancelled between the claim and now: look again.
    if (previous === undefined) return runTask(context, task);
  }
  const log = context.logger.child({
    jobId: job.id,
    orgId: job.org_id,
    shard: task.shard,
    workerId: context.workerId,
  });
  if (task.shard === planShard) return planJob(context, task, job, log);
  return runShard(context, task, job, log);
}
