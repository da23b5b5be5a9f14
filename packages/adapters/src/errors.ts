const marker = Symbol.for('llmbatch.adapter-error');

/**
 * Every error code the adapters can produce.
 *
 * - `invalid-options`: options handed to an adapter failed validation.
 * - `invalid-path`: a path is empty or contains a NUL byte.
 * - `path-outside-root`: a path (after `..`, absolute paths and symlinks are resolved) leaves the root.
 * - `not-found`: the file (or the directory a sink writes into) does not exist.
 * - `not-a-regular-file`: the path names a directory, device, FIFO, socket or dangling symlink.
 * - `unknown-scheme`: a location's scheme or file extension is not one the registry knows.
 * - `encoding`: the bytes are not valid text in the file's encoding.
 * - `parse`: a record is malformed (bad JSON, broken CSV quoting, a JSON file that is not an array).
 * - `ragged-row`: a CSV/TSV row has a different number of fields than the header.
 * - `not-an-object`: a JSONL line or JSON array element is valid JSON but not an object.
 * - `record-too-large`: one record is longer than `maxRecordLength`.
 * - `unknown-column`: a selected column is not in the header.
 * - `sqlite-unavailable`: `node:sqlite` (or a feature of it) is missing from this Node.js.
 * - `sqlite-query-rejected`: a query is not exactly one read-only `SELECT` statement.
 * - `sqlite-table-not-found`: the named table or view does not exist.
 * - `sqlite-schema-mismatch`: an existing results table does not have the expected columns.
 * - `sqlite`: SQLite failed while reading or writing.
 * - `already-consumed`: a one-shot input stream was iterated a second time.
 * - `sink-closed`: a result was written after `close()`.
 * - `append-unsupported`: the format cannot be appended to (JSON).
 * - `io`: the file system failed.
 *
 * @example
 * ```ts
 * if (AdapterError.isInstance(error) && error.code === 'path-outside-root') reply.status(403);
 * ```
 */
export type AdapterErrorCode =
  | 'invalid-options'
  | 'invalid-path'
  | 'path-outside-root'
  | 'not-found'
  | 'not-a-regular-file'
  | 'unknown-scheme'
  | 'encoding'
  | 'parse'
  | 'ragged-row'
  | 'not-an-object'
  | 'record-too-large'
  | 'unknown-column'
  | 'sqlite-unavailable'
  | 'sqlite-query-rejected'
  | 'sqlite-table-not-found'
  | 'sqlite-schema-mismatch'
  | 'sqlite'
  | 'already-consumed'
  | 'sink-closed'
  | 'append-unsupported'
  | 'io';

/**
 * Options accepted by {@link AdapterError}.
 *
 * @example
 * ```ts
 * throw new AdapterError({ code: 'parse', message: 'data.jsonl: line 3 is not valid JSON', details: { line: 3 } });
 * ```
 */
export interface AdapterErrorOptions {
  /** What went wrong, for people. Names the user's path, never the resolved root. */
  message: string;
  /** The machine-readable kind of failure. */
  code: AdapterErrorCode;
  /** The underlying error, if any. */
  cause?: unknown;
  /** Extra structured facts: `line` (1-based), `index`, `column`, `path`, `known`, ... */
  details?: Record<string, unknown>;
}

/**
 * A JSON-safe description of an {@link AdapterError}.
 *
 * @example
 * ```ts
 * const body: SerializedAdapterError = error.toJSON(); // { code: 'ragged-row', message: '...', details: { line: 5 } }
 * ```
 */
export interface SerializedAdapterError {
  /** The error code. */
  code: AdapterErrorCode;
  /** Human-readable message. */
  message: string;
  /** Structured details, if any. */
  details?: Record<string, unknown>;
}

/**
 * The one error class of `@llmbatch/adapters`. Check with {@link AdapterError.isInstance}, which works across
 * duplicate installs, and switch on {@link AdapterError.code}.
 *
 * @example
 * ```ts
 * try {
 *   for await (const row of createCsvSource('data.csv')) console.log(row);
 * } catch (error) {
 *   if (AdapterError.isInstance(error) && error.code === 'ragged-row') console.error(error.details?.line);
 * }
 * ```
 */
export class AdapterError extends Error {
  /** @internal Marks adapter errors across duplicate installs; see {@link AdapterError.isInstance}. */
  readonly [marker] = true;
  /** The machine-readable kind of failure. */
  readonly code: AdapterErrorCode;
  /** Extra structured facts about the failure (`line` is 1-based). */
  readonly details: Record<string, unknown> | undefined;

  constructor(options: AdapterErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AdapterError';
    this.code = options.code;
    this.details = options.details;
  }

  /**
   * True when `value` is an {@link AdapterError}, even one created by another copy of this package.
   *
   * @example
   * ```ts
   * if (AdapterError.isInstance(error) && error.code === 'path-outside-root') reply.status(403);
   * ```
   */
  static isInstance(value: unknown): value is AdapterError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }

  /**
   * A plain JSON-safe view of the error, suitable for logs and API answers.
   *
   * @example
   * ```ts
   * JSON.stringify(error.toJSON());
   * ```
   */
  toJSON(): SerializedAdapterError {
    const out: SerializedAdapterError = { code: this.code, message: this.message };
    if (this.details !== undefined) out.details = this.details;
    return out;
  }
}

/** Wraps a file-system or library failure that is not already an {@link AdapterError}. */
export function toAdapterError(
  value: unknown,
  code: AdapterErrorCode,
  message: string,
  details?: Record<string, unknown>,
): AdapterError {
  if (AdapterError.isInstance(value)) return value;
  const reason = value instanceof Error ? value.message : String(value);
  return new AdapterError({
    code,
    message: `${message}: ${reason}`,
    cause: value,
    ...(details === undefined ? {} : { details }),
  });
}
