import type { Logger } from 'pino';

/**
 * Handles the shutdown signals of a long-running command: the first one logs and runs `stop`
 * (which resolves with the exit code); a second one exits at once with 1. Installed before the
 * command starts anything, so a signal that arrives during start-up is a clean shutdown too (until a
 * process listens for a signal, the system's default is to kill it on the spot). `dispose()` removes
 * the handlers when the start fails.
 *
 * @example
 * ```ts
 * const shutdown = onShutdownSignals(['SIGTERM', 'SIGINT'], logger, async () => (await server.stop()).drained ? 0 : 1);
 * await server.start();
 * return shutdown.exitCode;
 * ```
 */
export function onShutdownSignals(
  signals: readonly NodeJS.Signals[],
  logger: Logger,
  stop: () => Promise<number>,
): { exitCode: Promise<number>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const exitCode = new Promise<number>((resolve) => {
    onSignal = (signal) => {
      logger.info({ signal }, 'shutting down');
      for (const name of signals) {
        process.removeListener(name, onSignal);
        process.once(name, () => process.exit(1));
      }
      stop().then(resolve, (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        resolve(1);
      });
    };
  });
  for (const name of signals) process.on(name, onSignal);
  return {
    exitCode,
    dispose() {
      for (const name of signals) process.removeListener(name, onSignal);
    },
  };
}
