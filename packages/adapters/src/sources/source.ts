import type { AdapterError, AdapterErrorCode } from '../errors.js';
import type { TextEncoding } from '../internal/text.js';

/**
 * The formats a source reads.
 *
 * @example
 * ```ts
 * if (source.format === 'sqlite') console.log('rows come from a database');
 * ```
 */
export type SourceFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'sqlite';

/**
 * A record the source skipped (`invalidRecords: 'skip'`, `raggedRows: 'skip'`) or changed (`'pad'`).
 *
 * @example
 * ```ts
 * for (const skipped of source.report.skipped) console.warn(`line ${skipped.line}: ${skipped.message}`);
 * ```
 */
export interface SkippedRecord {
  /** 1-based line where the record starts (text formats). */
  line?: number;
  /** 0-based position of the element in a JSON array. */
  index?: number;
  /** Why it was skipped. */
  code: AdapterErrorCode;
  /** The same message the error would have had. */
  message: string;
}

/**
 * What a source learned during the current (or last) iteration.
 *
 * @example
 * ```ts
 * console.log(`${source.report.recordsRead} read, ${source.report.skippedCount} skipped`);
 * ```
 */
export interface SourceReport {
  /** Records yielded so far. */
  recordsRead: number;
  /** Physical lines consumed so far (text formats; 0 for SQLite and JSON). */
  linesRead: number;
  /** How many records were skipped or changed. */
  skippedCount: number;
  /** The first `maxReportedIssues` skipped or changed records. */
  skipped: SkippedRecord[];
}

/**
 * A stream of input records (plain objects) that also tells what it learned. Each `for await` reads the
 * input again from the start (except one-shot streams such as stdin) and resets {@link Source.report}.
 * Breaking out of the loop closes the file or database.
 *
 * @example
 * ```ts
 * const source = await resolveSource('data.csv');
 * for await (const record of source) console.log(record);
 * console.log(source.columns, source.report);
 * ```
 */
export interface Source extends AsyncIterable<Record<string, unknown>> {
  /** The format being read. */
  readonly format: SourceFormat;
  /** Column names, once known (CSV header, SQLite result columns); `undefined` for JSON formats. */
  readonly columns: readonly string[] | undefined;
  /** Counters and skipped records of the current (or last) iteration. */
  readonly report: SourceReport;
}

/**
 * Options shared by the text sources (CSV, TSV, JSONL, JSON).
 *
 * @example
 * ```ts
 * createJsonlSource('data.jsonl', { root: '/srv/files', encoding: 'utf-8', invalidRecords: 'skip' });
 * ```
 */
export interface TextSourceOptions {
  /** Directory the path must stay inside (see `createPathGuard`). @default undefined (no confinement) */
  root?: string;
  /** Text encoding; `auto` reads a byte order mark and falls back to UTF-8. @default 'auto' */
  encoding?: TextEncoding;
  /** Longest record, in characters, before `record-too-large` is thrown. @default 16_777_216 */
  maxRecordLength?: number;
  /** What to do with a malformed record: throw (`error`) or leave it out and report it (`skip`). @default 'error' */
  invalidRecords?: 'error' | 'skip';
  /** How many skipped records {@link SourceReport.skipped} keeps (all are counted). @default 100 */
  maxReportedIssues?: number;
}

/** Default for {@link TextSourceOptions.maxRecordLength}. */
export const defaultMaxRecordLength = 16 * 1024 * 1024;

/** Mutable state a source implementation updates while it runs. */
export interface SourceState {
  readonly report: SourceReport;
  columns: string[] | undefined;
  /** Records a skipped record, or rethrows when `mode` is `error`. */
  reject(mode: 'error' | 'skip', error: AdapterError, where: { line?: number; index?: number }): void;
}

/**
 * Builds a {@link Source} whose every iteration runs `read` with fresh state. `read` counts each record
 * in `state.report.recordsRead` as it yields it (the source hands `read`'s generator to the consumer as
 * is: a wrapping generator would cost a few promises per record).
 */
export function createSource(
  format: SourceFormat,
  maxReportedIssues: number,
  read: (state: SourceState) => AsyncGenerator<Record<string, unknown>>,
): Source {
  let current: SourceState = newState();

  function newState(): SourceState {
    const state: SourceState = {
      report: { recordsRead: 0, linesRead: 0, skippedCount: 0, skipped: [] },
      columns: undefined,
      reject(mode, error, where) {
        if (mode === 'error') throw error;
        state.report.skippedCount += 1;
        if (state.report.skipped.length < maxReportedIssues) {
          state.report.skipped.push({ ...where, code: error.code, message: error.message });
        }
      },
    };
    return state;
  }

  return {
    format,
    get columns() {
      return current.columns;
    },
    get report() {
      return current.report;
    },
    [Symbol.asyncIterator]() {
      const state = newState();
      current = state;
      return read(state);
    },
  };
}
