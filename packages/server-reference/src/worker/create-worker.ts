import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { EngineOptions } from '@llmbatch/core';
import type { Logger } from 'pino';
import type { KeyRing } from '../crypto/key-ring.js';
import type { Database } from '../db/database.js';
import { createResultLedger } from '../jobs/job-results.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { systemWallClock, type WallClock } from '../wall-clock.js';
import { claimTask, taskChannel } from './job-queue.js';
import { createProviderCache } from './provider-cache.js';
import { providerName, runTask } from './run-job.js';
import { sweepShardInputs } from './shard-inputs.js';

/** Options of {@link createWorker}. */
export interface WorkerOptions {
  /** The database holding jobs and the queue. */
  database: Database;
  /** Where input files are read from. */
  storage: StorageDriver;
  /** Decrypts provider keys. */
  keyRing: KeyRing;
  /** pino logger. */
  logger: Logger;
  /** Timestamps of job rows. @default the system clock */
  clock?: WallClock;
  /** Name of this worker in the queue and the logs. @default `<hostname>-<pid>-<random>` */
  workerId?: string;
  /** Tasks (job shards) this worker runs at once. @default 2 */
  maxTasks?: number;
  /** Units per shard when this worker plans a job. @default 2500 */
  shardSize?: number;
  /** Milliseconds units in flight at shutdown may take to finish before they are aborted. @default 10000 */
  drainMs?: number;
  /** Milliseconds between queue polls while idle, and between heartbeats (which also see cancels). @default 1000 */
  pollIntervalMs?: number;
  /** Milliseconds a claimed job stays this worker's without a heartbeat; then another worker may take it. @default 30000 */
  leaseMs?: number;
  /** Claims of one job before it fails with `worker-lost`. @default 3 */
  maxAttempts?: number;
  /** Engine settings (timeouts, retries) for every job; providers and concurrency come from the job. @default {} */
  engineOptions?: Omit<EngineOptions, 'providers' | 'providerConfig' | 'concurrency'>;
}

/**
 * A worker: claims tasks (a job's plan, then its shards) from the queue and runs them. `start()` is
 * idempotent; `stop()` stops claiming and starting units, lets the units in flight finish for up to
 * `drainMs`, records them, and hands the unfinished shards back to the queue (finished units stay in
 * the ledger, so the next worker sends only the rest).
 *
 * @example
 * ```ts
 * await using worker = createWorker({ database, storage, keyRing, logger });
 * worker.start();
 * ```
 */
export interface Worker {
  /** This worker's name in the queue. */
  readonly workerId: string;
  /** Starts claiming jobs. Idempotent. */
  start(): void;
  /** Stops claiming, drains the units in flight (up to `drainMs`) and releases unfinished shards. Idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Idle loops wait here until the poll interval passes, a task is queued (notified) or shutdown. */
function createIdleWait(signal: AbortSignal) {
  const waiting = new Set<() => void>();
  return {
    sleep(milliseconds: number): Promise<void> {
      return new Promise((resolve) => {
        if (signal.aborted) return resolve();
        const timer = setTimeout(done, milliseconds);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          waiting.delete(done);
          resolve();
        }
        signal.addEventListener('abort', done);
        waiting.add(done);
      });
    },
    wakeAll(): void {
      for (const done of [...waiting]) done();
    },
  };
}

/**
 * Creates a {@link Worker}. Any number of workers, in any number of processes, may share a database.
 *
 * @example
 * ```ts
 * const worker = createWorker({ database, storage, keyRing: createKeyRing(config.encryptionKey), logger });
 * worker.start();
 * process.once('SIGTERM', () => void worker.stop());
 * ```
 */
export function createWorker(options: WorkerOptions): Worker {
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const leaseMs = options.leaseMs ?? 30_000;
  const logger = options.logger.child({ workerId });
  const shutdown = new AbortController();
  const providers = createProviderCache({ name: providerName });
  const context = {
    database: options.database,
    storage: options.storage,
    keyRing: options.keyRing,
    clock: options.clock ?? systemWallClock,
    logger,
    workerId,
    leaseMs,
    pollIntervalMs,
    maxAttempts: options.maxAttempts ?? 3,
    shardSize: options.shardSize ?? 2500,
    drainMs: options.drainMs ?? 10_000,
    engineOptions: options.engineOptions ?? {},
    providers,
    results: createResultLedger(options.database),
    maxTasks: options.maxTasks ?? 2,
    shutdown: shutdown.signal,
  };
  let loops: Promise<void>[] | undefined;
  let stopping: Promise<void> | undefined;
  const idle = createIdleWait(shutdown.signal);
  let unlisten: Promise<(() => Promise<void>) | undefined> = Promise.resolve(undefined);

  async function loop(): Promise<void> {
    while (!shutdown.signal.aborted) {
      try {
        const task = await claimTask(options.database, workerId, leaseMs);
        if (task === undefined) {
          // Idle: remove the shard inputs of a job that ended, then wait.
          if ((await sweepShardInputs(options.database, options.storage)) !== undefined) continue;
          await idle.sleep(pollIntervalMs);
          continue;
        }
        await runTask(context, task);
      } catch (error) {
        if (shutdown.signal.aborted) return;
        logger.error({ err: error }, 'worker loop failed; retrying');
        await idle.sleep(pollIntervalMs);
      }
    }
  }

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      shutdown.abort();
      await Promise.all(loops ?? []);
      await providers.close();
      await (await unlisten)?.();
      logger.info('worker stopped');
    })();
    return stopping;
  };

  return {
    workerId,
    start() {
      if (loops !== undefined || shutdown.signal.aborted) return;
      unlisten = options.database
        .listen(
          taskChannel,
          () => idle.wakeAll(),
          (error) => logger.warn({ err: error }, 'task notifications stopped; polling only'),
        )
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'could not listen for task notifications; polling only');
          return undefined;
        });
      const { maxTasks } = context;
      loops = Array.from({ length: maxTasks }, () => loop());
      logger.info({ maxTasks }, 'worker started');
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
