import type { Writable } from 'node:stream';
import type { UnitResult } from '@llmbatch/core';
import { accepted } from '../internal/writer.js';

/**
 * The formats a sink writes.
 *
 * @example
 * ```ts
 * if (sink.format === 'sqlite') console.log('query the results table with json_extract');
 * ```
 */
export type SinkFormat = 'jsonl' | 'json' | 'csv' | 'sqlite';

/**
 * Receives results as the engine yields them. `write()` resolves once the result is handed to the file
 * (waiting while the stream is full: backpressure); `close()` flushes and releases the file.
 * `await using sink = ...` closes it automatically.
 *
 * @example
 * ```ts
 * await using sink = await resolveSink('out.jsonl');
 * for await (const result of engine.run(source, job)) await sink.write(result);
 * ```
 */
export interface Sink extends AsyncDisposable {
  /** The format being written. */
  readonly format: SinkFormat;
  /** Results written so far. */
  readonly written: number;
  /** Writes one result. Rejects with `sink-closed` after `close()`, or `io` when the file failed. */
  write(result: UnitResult): Promise<void>;
  /** Flushes and closes. Calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * How a file sink treats an existing file.
 *
 * @example
 * ```ts
 * const mode: SinkMode = resuming ? 'append' : 'create';
 * ```
 */
export type SinkMode = 'overwrite' | 'append' | 'create';

/**
 * Options shared by the file sinks.
 *
 * @example
 * ```ts
 * await createCsvSink('out.csv', { root: process.cwd(), mode: 'create' });
 * ```
 */
export interface FileSinkOptions {
  /** Directory the path must stay inside (see `createPathGuard`). @default undefined (no confinement) */
  root?: string;
  /**
   * `overwrite` empties an existing file; `append` keeps it (after cutting a torn last line) and adds to
   * it, which is how a run resumes; `create` refuses an existing file.
   * @default 'overwrite'
   */
  mode?: SinkMode;
}

/**
 * Where a text sink writes: a file path (checked by the path guard) or a stream such as `process.stdout`.
 *
 * @example
 * ```ts
 * await createJsonlSink('out.jsonl');
 * await createJsonlSink(process.stdout, { endStream: false });
 * ```
 */
export type SinkTarget = string | Writable;

/**
 * Options for a sink that writes to a stream rather than a path.
 *
 * @example
 * ```ts
 * await createJsonlSink(process.stdout, { endStream: false });
 * ```
 */
export interface StreamSinkOptions {
  /** End the stream on `close()`. Set `false` for `process.stdout`. @default true */
  endStream?: boolean;
}

/**
 * One result as JSONL and JSON sinks write it: the fields of `UnitResult`, in a fixed order.
 *
 * @example
 * ```ts
 * for await (const record of createJsonlSource('out.jsonl')) console.log((record as ResultRecord).status);
 * ```
 */
export interface ResultRecord {
  key: string;
  index: number;
  status: UnitResult['status'];
  value?: UnitResult['value'];
  raw?: string;
  warnings: string[];
  usage: UnitResult['usage'];
  cost: number | null;
  attempts: UnitResult['attempts'];
  error?: UnitResult['error'];
  durationMs: number;
}

/** The record written for `result`; `raw` only when `includeRaw`. */
export function toResultRecord(result: UnitResult, includeRaw: boolean): ResultRecord {
  // Built field by field (no spreads of temporary objects): this runs once per result.
  const record = { key: result.key, index: result.index, status: result.status } as ResultRecord;
  if (result.value !== undefined) record.value = result.value;
  if (includeRaw && result.raw !== undefined) record.raw = result.raw;
  record.warnings = result.warnings;
  record.usage = result.usage;
  record.cost = result.cost;
  record.attempts = result.attempts;
  if (result.error !== undefined) record.error = result.error;
  record.durationMs = result.durationMs;
  return record;
}

/** Adds `[Symbol.asyncDispose]` (calling `close`) and a live `written` count to a sink implementation. */
export function finishSink(
  format: SinkFormat,
  implementation: { write(result: UnitResult): Promise<void>; close(): Promise<void> },
): Sink {
  let written = 0;
  const count = (): void => {
    written += 1;
  };
  return {
    format,
    get written() {
      return written;
    },
    write(result) {
      const pending = implementation.write(result);
      // Text taken at once (the usual case) is counted at once, without a promise per result.
      if (pending === accepted) {
        written += 1;
        return accepted;
      }
      return pending.then(count);
    },
    close: () => implementation.close(),
    [Symbol.asyncDispose]: () => implementation.close(),
  };
}
