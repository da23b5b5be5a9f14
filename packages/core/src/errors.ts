const marker = Symbol.for('llmbatch.error');

/**
 * Every error code the engine can produce.
 *
 * - `invalid-options`: options or a job handed to the engine failed validation.
 * - `template`: a prompt template is malformed or names a field the unit lacks.
 * - `invalid-unit`: a unit is not a plain object, or lacks its key field.
 * - `connection`: the provider could not be reached (DNS, refused, reset).
 * - `timeout`: an attempt exceeded its connect/headers/body/total deadline.
 * - `rate-limited`: the provider answered 429.
 * - `provider-unavailable`: the provider answered 5xx (or 529 overloaded).
 * - `provider-rejected`: the provider answered another 4xx, caused by this request.
 * - `invalid-response`: the provider answered 2xx with a body we cannot read.
 * - `output-invalid`: the model's output could not be turned into the requested shape.
 * - `retries-exhausted`: every attempt failed; `errors` holds each attempt's error.
 * - `circuit-open`: the circuit breaker is open and the run asked to fail fast.
 * - `aborted`: the run was cancelled before or during this unit.
 * - `budget-exceeded`: the run's cost budget does not allow this unit.
 * - `checkpoint`: the checkpoint store failed.
 */
export type LLMBatchErrorCode =
  | 'invalid-options'
  | 'template'
  | 'invalid-unit'
  | 'connection'
  | 'timeout'
  | 'rate-limited'
  | 'provider-unavailable'
  | 'provider-rejected'
  | 'invalid-response'
  | 'output-invalid'
  | 'retries-exhausted'
  | 'circuit-open'
  | 'aborted'
  | 'budget-exceeded'
  | 'checkpoint';

/** Options accepted by {@link LLMBatchError}. */
export interface LLMBatchErrorOptions {
  /** What went wrong, for people. Never contains secrets. */
  message: string;
  /** The machine-readable kind of failure. */
  code: LLMBatchErrorCode;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Whether trying the same request again may succeed. @default derived from `code` */
  isRetryable?: boolean;
  /** HTTP status returned by the provider, when there was one. */
  status?: number;
  /** Delay the provider asked for before the next attempt (from `retry-after-ms` / `retry-after`). */
  retryAfterMs?: number;
  /** Whether this failure says the provider is unavailable (counted by the circuit breaker). @default derived from `code` */
  isAvailabilityFailure?: boolean;
  /** Extra structured facts (field names, unit keys, validation issues). */
  details?: Record<string, unknown>;
}

const retryableCodes: ReadonlySet<LLMBatchErrorCode> = new Set([
  'connection',
  'timeout',
  'rate-limited',
  'provider-unavailable',
]);

const availabilityCodes: ReadonlySet<LLMBatchErrorCode> = new Set([
  'connection',
  'timeout',
  'rate-limited',
  'provider-unavailable',
]);

/**
 * The one error class of llmbatch. Check with {@link LLMBatchError.isInstance}, which works across
 * duplicate installs of the package, and switch on {@link LLMBatchError.code}.
 *
 * @example
 * ```ts
 * try {
 *   createEngine({ concurrency: -1 });
 * } catch (error) {
 *   if (LLMBatchError.isInstance(error) && error.code === 'invalid-options') console.error(error.message);
 * }
 * ```
 */
export class LLMBatchError extends Error {
  /** @internal Marks llmbatch errors across duplicate installs; see {@link LLMBatchError.isInstance}. */
  readonly [marker] = true;
  /** The machine-readable kind of failure. */
  readonly code: LLMBatchErrorCode;
  /** Whether trying the same request again may succeed. */
  readonly isRetryable: boolean;
  /** Whether this failure counts against the provider's availability (circuit breaker). */
  readonly isAvailabilityFailure: boolean;
  /** HTTP status from the provider, if any. */
  readonly status: number | undefined;
  /** Delay the provider asked for, in milliseconds, if any. */
  readonly retryAfterMs: number | undefined;
  /** Extra structured facts about the failure. */
  readonly details: Record<string, unknown> | undefined;

  constructor(options: LLMBatchErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LLMBatchError';
    this.code = options.code;
    this.isRetryable = options.isRetryable ?? retryableCodes.has(options.code);
    this.isAvailabilityFailure = options.isAvailabilityFailure ?? availabilityCodes.has(options.code);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }

  /**
   * True when `value` is an {@link LLMBatchError}, even one created by another copy of this package.
   *
   * @example
   * ```ts
   * if (LLMBatchError.isInstance(result.error)) console.log(result.error.code);
   * ```
   */
  static isInstance(value: unknown): value is LLMBatchError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }

  /**
   * A plain JSON-safe view of the error, suitable for result files and APIs.
   *
   * @example
   * ```ts
   * JSON.stringify(error.toJSON());
   * ```
   */
  toJSON(): SerializedError {
    const out: SerializedError = { code: this.code, message: this.message, isRetryable: this.isRetryable };
    if (this.status !== undefined) out.status = this.status;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

/** A JSON-safe description of an {@link LLMBatchError}. */
export interface SerializedError {
  /** The error code. */
  code: LLMBatchErrorCode;
  /** Human-readable message. */
  message: string;
  /** Whether a retry may succeed. */
  isRetryable: boolean;
  /** HTTP status, if any. */
  status?: number;
  /** Structured details, if any. */
  details?: Record<string, unknown>;
}

/**
 * Wraps anything thrown into an {@link LLMBatchError}, keeping it as `cause`.
 *
 * @example
 * ```ts
 * const error = toLLMBatchError(new Error('boom'), 'connection');
 * ```
 */
export function toLLMBatchError(value: unknown, fallbackCode: LLMBatchErrorCode): LLMBatchError {
  if (LLMBatchError.isInstance(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new LLMBatchError({ code: fallbackCode, message, cause: value });
}
