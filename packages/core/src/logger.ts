/**
 * The logging interface the engine writes to; pino and console-like loggers fit it.
 * The engine never logs secrets or unit data, only keys, counts and error codes.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const engine = createEngine({ logger: pino() });
 * ```
 */
export interface Logger {
  /** Detail useful when debugging. */
  debug(fields: Record<string, unknown>, message: string): void;
  /** Something a user should know about (unknown model price, breaker opened). */
  warn(fields: Record<string, unknown>, message: string): void;
  /** A failure that ended a run. */
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * A logger that drops everything (the default).
 *
 * @example
 * ```ts
 * createEngine({ logger: silentLogger });
 * ```
 */
export const silentLogger: Logger = {
  debug() {},
  warn() {},
  error() {},
};
