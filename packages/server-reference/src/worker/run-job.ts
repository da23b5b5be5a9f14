import {
  createAnthropicProvider,
  createEngine,
  createOpenAICompatibleProvider,
  type EngineOptions,
  LLMBatchError,
  type Provider,
} from '@llmbatch/core';
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/key-ring.js';
import type { Database } from '../db/database.js';
import { openSource } from '../files/file-format.js';
import { findFile } from '../files/file-store.js';
import { finishedIndexes, recordResult } from '../jobs/job-results.js';
import { transitionJob } from '../jobs/job-status.js';
import { findJobForWorker, type JobRow } from '../jobs/job-store.js';
import { readProviderKey } from '../provider-keys/provider-key-store.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { objectKeyFor } from '../storage/storage-driver.js';
import type { WallClock } from '../wall-clock.js';
import { type ClaimedTask, releaseTask, removeTask, renewLease } from './job-queue.js';

/** What running one job needs. */
export interface RunJobContext {
  database: Database;
  storage: StorageDriver;
  keyRing: KeyRing;
  clock: WallClock;
  logger: Logger;
  workerId: string;
  leaseMs: number;
  pollIntervalMs: number;
  maxAttempts: number;
  engineOptions: Omit<EngineOptions, 'providers' | 'providerConfig' | 'concurrency'>;
  /** Aborted when the worker shuts down: the task goes back to the queue. */
  shutdown: AbortSignal;
}

/** Why a run stopped before the end of its input. */
type StopReason = 'cancel' | 'lease-lost' | 'shutdown';

const providerName = 'tenant';

function buildProvider(key: { provider: string; baseUrl: string | null; apiKey: string }): Provider {
  const base = key.baseUrl === null ? {} : { baseURL: key.baseUrl };
  if (key.provider === 'anthropic')
    return createAnthropicProvider({ name: providerName, apiKey: key.apiKey, ...base });
  return createOpenAICompatibleProvider({ name: providerName, apiKey: key.apiKey, ...base });
}

async function fail(context: RunJobContext, job: JobRow, code: string, message: string): Promise<void> {
  await transitionJob(context.database, job.id, 'failed', {
    finishedAt: context.clock.now(),
    error: { code, message },
  });
  await removeTask(context.database, job.id);
  context.logger.warn({ jobId: job.id, orgId: job.org_id, code }, message);
}

/**
 * Runs the job of a claimed task through the core engine: reads the input from storage as a
 * stream, sends units with the job's concurrency, writes each result to the ledger as it arrives
 * (units already there are skipped), keeps the lease alive, and stops within one poll interval of a
 * cancel. The provider key is read and decrypted here, by id; it never travels through the queue.
 *
 * @example
 * ```ts
 * const task = await claimTask(database, workerId, leaseMs);
 * if (task !== undefined) await runJob(context, task);
 * ```
 */
export async function runJob(context: RunJobContext, task: ClaimedTask): Promise<void> {
  const { database, logger } = context;
  const job = await findJobForWorker(database, task.jobId);
  if (
    job === undefined ||
    job.status === 'completed' ||
    job.status === 'failed' ||
    job.status === 'cancelled'
  ) {
    await removeTask(database, task.jobId);
    return;
  }
  if (job.status === 'cancelling') {
    await transitionJob(database, job.id, 'cancelled', { finishedAt: context.clock.now() });
    await removeTask(database, job.id);
    return;
  }
  if (task.attempts > context.maxAttempts) {
    await fail(
      context,
      job,
      'worker-lost',
      `The job was started ${context.maxAttempts} times and its worker stopped each time`,
    );
    return;
  }
  if (job.status === 'queued') {
    const previous = await transitionJob(database, job.id, 'running', { startedAt: context.clock.now() });
    // Cancelled between the claim and now: the next claim (or nobody) cleans up.
    if (previous === undefined) return runJob(context, task);
  }
  const file = job.file_id === null ? undefined : await findFile(database, job.org_id, job.file_id);
  if (file === undefined) return fail(context, job, 'file-missing', 'The input file of this job was deleted');
  const key =
    job.provider_key_id === null
      ? undefined
      : await readProviderKey(database, context.keyRing, job.org_id, job.provider_key_id);
  if (key === undefined)
    return fail(context, job, 'provider-key-missing', 'The provider key of this job was deleted');

  const engine = createEngine({
    ...context.engineOptions,
    providers: { [providerName]: buildProvider(key) },
    concurrency: job.spec.concurrency,
  });
  const done = await finishedIndexes(database, job.id);
  const controller = new AbortController();
  let stopReason: StopReason | undefined;
  const stop = (reason: StopReason) => {
    stopReason ??= reason;
    controller.abort(reason);
  };
  const onShutdown = () => stop('shutdown');
  context.shutdown.addEventListener('abort', onShutdown);
  if (context.shutdown.aborted) stop('shutdown');
  const heartbeat = setInterval(() => {
    renewLease(database, job.id, context.workerId, context.leaseMs).then(
      (status) => {
        if (status === undefined) stop('lease-lost');
        else if (status === 'cancelling' || status === 'cancelled') stop('cancel');
      },
      (error: unknown) => logger.warn({ err: error, jobId: job.id }, 'heartbeat failed'),
    );
  }, context.pollIntervalMs);
  const log = logger.child({ jobId: job.id, orgId: job.org_id, workerId: context.workerId });
  log.info({ attempt: task.attempts, alreadyDone: done.size }, 'job started');
  try {
    let run: ReturnType<typeof engine.run>;
    try {
      run = engine.run(
        openSource(file.format, () => context.storage.read(objectKeyFor(job.org_id, file.id))),
        {
          model: `${providerName}:${job.spec.model}`,
          prompt: job.spec.prompt,
          output: job.spec.output,
          ...(job.spec.system === undefined ? {} : { system: job.spec.system }),
          ...(job.spec.temperature === undefined ? {} : { temperature: job.spec.temperature }),
          ...(job.spec.maxTokens === undefined ? {} : { maxTokens: job.spec.maxTokens }),
        },
        {
          signal: controller.signal,
          ordered: false,
          checkpoint: {
            isDone: (_key, index) => done.has(index),
            markDone: (result) => recordResult(database, job.id, result),
          },
        },
      );
    } catch (error) {
      // The job itself is invalid (a template or option the engine refuses): retrying cannot help.
      if (!LLMBatchError.isInstance(error)) throw error;
      clearInterval(heartbeat);
      return await fail(context, job, 'invalid-job', error.message);
    }
    const summary = await run.drain();
    clearInterval(heartbeat);
    const now = context.clock.now();
    if (stopReason === 'lease-lost') {
      log.warn('lost the lease; another worker carries on');
    } else if (stopReason === 'shutdown') {
      await releaseTask(database, job.id, context.workerId);
      log.info('released the job for another worker');
    } else if (stopReason === 'cancel') {
      await transitionJob(database, job.id, 'cancelled', { finishedAt: now });
      await removeTask(database, job.id);
      log.info({ cancelledInFlight: summary.cancelled }, 'job cancelled');
    } else if (summary.reason === 'completed') {
      const total = (await finishedIndexes(database, job.id)).size;
      const previous = await transitionJob(database, job.id, 'completed', {
        finishedAt: now,
        totalUnits: total,
      });
      if (previous === undefined)
        await transitionJob(database, job.id, 'cancelled', { finishedAt: now, totalUnits: total });
      await removeTask(database, job.id);
      log.info({ units: total, durationMs: summary.durationMs }, 'job finished');
    } else {
      const error = summary.error ?? { code: 'run-failed', message: `The run ended: ${summary.reason}` };
      await fail(context, job, error.code, error.message);
    }
  } finally {
    clearInterval(heartbeat);
    context.shutdown.removeEventListener('abort', onShutdown);
    await engine.close();
  }
}
