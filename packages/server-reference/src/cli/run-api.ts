import type { Logger } from 'pino';
import type { ServerConfig } from '../config/load-config.js';
import type { RouteModule } from '../http/create-app.js';
import { createServer, type ServerWorkerOptions } from '../server.js';
import { createStorage } from '../storage/create-storage.js';
import { onShutdownSignals } from './shutdown-signals.js';

/** Options for {@link runApi}. */
export interface RunApiOptions {
  /** Validated configuration. */
  config: ServerConfig;
  /** The process logger. */
  logger: Logger;
  /** Extra routes (tests add a slow one to exercise draining). */
  extraRoutes?: readonly RouteModule[];
  /** Runs a job worker in the same process (the `all` mode). @default no worker */
  worker?: ServerWorkerOptions;
  /** Signals that start a graceful shutdown. @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
}

/**
 * Runs the API until SIGTERM or SIGINT, then drains: stops accepting connections, lets in-flight
 * requests finish within `SHUTDOWN_TIMEOUT_MS`, closes the database. Resolves with the exit code:
 * 0 when everything drained, 1 when requests had to be cut. A second signal exits at once.
 *
 * @example
 * ```ts
 * process.exitCode = await runApi({ config, logger });
 * ```
 */
export async function runApi(options: RunApiOptions): Promise<number> {
  const server = await createServer({
    config: options.config,
    logger: options.logger,
    storage: createStorage(options.config),
    ...(options.config.storage === undefined
      ? {}
      : { maxUploadBytes: options.config.storage.maxUploadBytes }),
    ...(options.extraRoutes === undefined ? {} : { extraRoutes: options.extraRoutes }),
    ...(options.worker === undefined ? {} : { worker: options.worker }),
  });
  const shutdown = onShutdownSignals(options.signals ?? ['SIGTERM', 'SIGINT'], options.logger, async () =>
    (await server.stop()).drained ? 0 : 1,
  );
  try {
    await server.start();
  } catch (error) {
    // Close what was opened (an open embedded database would keep the process alive), then report.
    shutdown.dispose();
    await server.stop();
    throw error;
  }
  return shutdown.exitCode;
}
