const marker = Symbol.for('llmbatch.server.config-error');

/**
 * The configuration read from the environment is unusable. The message names every missing or
 * invalid variable and never contains a value.
 *
 * @example
 * ```ts
 * try {
 *   await loadConfig(process.env);
 * } catch (error) {
 *   if (ConfigError.isInstance(error)) console.error(error.message, error.missing);
 * }
 * ```
 */
export class ConfigError extends Error {
  readonly [marker] = true;
  /** Always `config`. */
  readonly code = 'config' as const;
  /** Required variables that are not set. */
  readonly missing: readonly string[];
  /** Variables that are set but unusable. */
  readonly invalid: readonly string[];

  constructor(options: {
    message: string;
    missing?: readonly string[];
    invalid?: readonly string[];
    cause?: unknown;
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfigError';
    this.missing = options.missing ?? [];
    this.invalid = options.invalid ?? [];
  }

  /**
   * True when `value` is a {@link ConfigError}, even from another copy of this package.
   *
   * @example
   * ```ts
   * if (ConfigError.isInstance(error)) process.exitCode = 78;
   * ```
   */
  static isInstance(value: unknown): value is ConfigError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
