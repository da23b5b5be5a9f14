import type { Logger } from 'pino';
import type { ServerConfig } from '../config/load-config.js';
import { createKeyRing } from '../crypto/key-ring.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open-database.js';
import { createStorage } from '../storage/create-storage.js';
import { createWorker } from '../worker/create-worker.js';
import { onShutdownSignals } from './shutdown-signals.js';

/** Options for {@link runWorker}. */
export interface RunWorkerOptions {
  /** Validated configuration. */
  config: ServerConfig;
  /** The process logger. */
  logger: Logger;
  /** Signals that stop the worker. @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
}

/**
 * Runs a job worker (no HTTP API) until SIGTERM or SIGINT: applies pending migrations, claims jobs
 * from the queue and runs them. On a signal it stops claiming and starting units, lets the units in
 * flight finish for up to `WORKER_DRAIN_MS` and records them, hands unfinished shards back to the
 * queue, closes the database and resolves 0. A second signal exits at once (status 1).
 *
 * @example
 * ```ts
 * process.exitCode = await runWorker({ config, logger });
 * ```
 */
export async function runWorker(options: RunWorkerOptions): Promise<number> {
  const { config, logger } = options;
  const database = await openDatabase(config.database, {
    onIdleError: (error) => logger.error({ err: error }, 'idle database connection failed'),
  });
  const worker = createWorker({
    database,
    storage: createStorage(config),
    keyRing: createKeyRing(config.encryptionKey, config.oldEncryptionKeys),
    logger,
    ...config.worker,
  });
  const shutdown = onShutdownSignals(options.signals ?? ['SIGTERM', 'SIGINT'], logger, async () => {
    await worker.stop();
    await database.close();
    return 0;
  });
  try {
    const { applied, current } = await migrate(database);
    if (applied.length > 0) logger.info({ applied, current }, 'database migrated');
    worker.start();
  } catch (error) {
    shutdown.dispose();
    await database.close();
    throw error;
  }
  return shutdown.exitCode;
}
