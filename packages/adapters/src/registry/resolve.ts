import type { Writable } from 'node:stream';
import { AdapterError } from '../errors.js';
import { createPathGuard } from '../path-guard.js';
import { type CsvSinkOptions, createCsvSink } from '../sinks/csv-sink.js';
import { createJsonSink, type JsonSinkOptions } from '../sinks/json-sink.js';
import { createJsonlSink, type JsonlSinkOptions } from '../sinks/jsonl-sink.js';
import type { Sink, SinkMode } from '../sinks/sink.js';
import { createSqliteSink, type SqliteSinkOptions } from '../sinks/sqlite-sink.js';
import { type CsvSourceOptions, createCsvSource, createTsvSource } from '../sources/csv-source.js';
import { createJsonSource, type JsonSourceOptions } from '../sources/json-source.js';
import { createJsonlSource, type JsonlSourceOptions } from '../sources/jsonl-source.js';
import type { Source } from '../sources/source.js';
import {
  createSqliteSource,
  type SqliteParameter,
  type SqliteSourceOptions,
} from '../sources/sqlite-source.js';
import { type LocationFormat, parseLocation } from './location.js';

/**
 * Options of {@link resolveSource}: the root, and typed options per format.
 *
 * @example
 * ```ts
 * await resolveSource('data.csv', { root: process.cwd(), csv: { raggedRows: 'skip' } });
 * ```
 */
export interface ResolveSourceOptions {
  /** Directory every path must stay inside. @default undefined (no confinement) */
  root?: string;
  /** The format, overriding the file extension. @default from the scheme or extension */
  format?: LocationFormat;
  /** Accept `-` (stdin). A server sets `false`. @default true */
  allowStandardStreams?: boolean;
  /** What `-` reads. @default process.stdin */
  standardInput?: AsyncIterable<Uint8Array>;
  /** Options for CSV and TSV files. */
  csv?: Omit<CsvSourceOptions, 'root'>;
  /** Options for JSONL files. */
  jsonl?: Omit<JsonlSourceOptions, 'root'>;
  /** Options for JSON files. */
  json?: Omit<JsonSourceOptions, 'root'>;
  /** Options for SQLite; `table`/`query`/`parameters` may come from the location instead. */
  sqlite?: Omit<SqliteSourceOptions, 'root'>;
}

/**
 * Options of {@link resolveSink}.
 *
 * @example
 * ```ts
 * await resolveSink('out.jsonl', { root: process.cwd(), mode: 'append', jsonl: { includeRaw: false } });
 * ```
 */
export interface ResolveSinkOptions {
  /** Directory every path must stay inside. @default undefined (no confinement) */
  root?: string;
  /** The format, overriding the file extension (`tsv` writes tab-separated CSV). @default from the extension */
  format?: LocationFormat;
  /** How an existing file or results table is treated. @default 'overwrite' */
  mode?: SinkMode;
  /** Accept `-` (stdout). A server sets `false`. @default true */
  allowStandardStreams?: boolean;
  /** What `-` writes to; it is not ended on close. @default process.stdout */
  standardOutput?: Writable;
  /** Options for JSONL files. */
  jsonl?: Omit<JsonlSinkOptions, 'root' | 'mode' | 'endStream'>;
  /** Options for JSON files. */
  json?: Omit<JsonSinkOptions, 'root' | 'mode' | 'endStream'>;
  /** Options for CSV and TSV files. */
  csv?: Omit<CsvSinkOptions, 'root' | 'mode' | 'endStream'>;
  /** Options for SQLite; `table` may come from the location instead. */
  sqlite?: Omit<SqliteSinkOptions, 'root' | 'mode'>;
}

function refuseStandardStreams(location: string): AdapterError {
  return new AdapterError({
    code: 'unknown-scheme',
    message: `"${location}" (standard input/output) is not allowed here`,
    details: { location },
  });
}

function onlyParameters(
  parameters: Readonly<Record<string, string>>,
  allowed: readonly string[],
  location: string,
) {
  for (const name of Object.keys(parameters)) {
    if (!allowed.includes(name)) {
      throw new AdapterError({
        code: 'invalid-options',
        message: `Location "${location}" has an unknown parameter "${name}" (known: ${allowed.join(', ')})`,
        details: { location, parameter: name },
      });
    }
  }
}

function sqliteParameters(text: string, location: string): SqliteSourceOptions['parameters'] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null) {
    throw new AdapterError({
      code: 'invalid-options',
      message: `Location "${location}": params must be a JSON array or object`,
      details: { location },
    });
  }
  return value as readonly SqliteParameter[] | Record<string, SqliteParameter>;
}

/** Merges a value from the location with the same option given in code, refusing two different ones. */
function merge<T>(fromLocation: T | undefined, fromOptions: T | undefined, name: string, location: string) {
  if (fromLocation !== undefined && fromOptions !== undefined && fromLocation !== fromOptions) {
    throw new AdapterError({
      code: 'invalid-options',
      message: `"${name}" is given both in "${location}" and in the options`,
      details: { location, option: name },
    });
  }
  return fromLocation ?? fromOptions;
}

/**
 * Picks and configures the source for a location (`data.csv`, `data.tsv`, `data.jsonl`, `data.json`,
 * `file:./x.tsv`, `sqlite:./db.sqlite?table=items`, `sqlite:./db.sqlite?query=SELECT ...&params=[1]`, `-`).
 * The path is checked now, so a missing file or a path outside the root fails before any work starts.
 *
 * @example
 * ```ts
 * const source = await resolveSource('sqlite:./shop.db?table=reviews', { root: process.cwd() });
 * for await (const row of source) console.log(row);
 * ```
 */
export async function resolveSource(location: string, options: ResolveSourceOptions = {}): Promise<Source> {
  const parsed = parseLocation(location, options.format);
  if (parsed.kind === 'stdio') {
    if (options.allowStandardStreams === false) throw refuseStandardStreams(location);
    const input = options.standardInput ?? process.stdin;
    if (parsed.format === 'sqlite') throw refuseStandardStreams(location);
    if (parsed.format === 'csv') return createCsvSource(input, options.csv);
    if (parsed.format === 'tsv') return createTsvSource(input, options.csv);
    if (parsed.format === 'json') return createJsonSource(input, options.json);
    return createJsonlSource(input, options.jsonl);
  }
  const root = options.root;
  await createPathGuard({ root }).resolveReadable(parsed.path);
  const withRoot = root === undefined ? {} : { root };
  switch (parsed.format) {
    case 'csv':
      return createCsvSource(parsed.path, { ...options.csv, ...withRoot });
    case 'tsv':
      return createTsvSource(parsed.path, { ...options.csv, ...withRoot });
    case 'jsonl':
      return createJsonlSource(parsed.path, { ...options.jsonl, ...withRoot });
    case 'json':
      return createJsonSource(parsed.path, { ...options.json, ...withRoot });
    case 'sqlite': {
      onlyParameters(parsed.parameters, ['table', 'query', 'params'], location);
      const { table, query, params } = parsed.parameters;
      const fromCode = options.sqlite ?? {};
      const parameters = params === undefined ? undefined : sqliteParameters(params, location);
      const merged = {
        table: merge(table, fromCode.table, 'table', location),
        query: merge(query, fromCode.query, 'query', location),
        parameters: merge(parameters, fromCode.parameters, 'parameters', location),
      };
      return createSqliteSource(parsed.path, {
        ...withRoot,
        ...(merged.table === undefined ? {} : { table: merged.table }),
        ...(merged.query === undefined ? {} : { query: merged.query }),
        ...(merged.parameters === undefined ? {} : { parameters: merged.parameters }),
      });
    }
  }
}

/**
 * Picks and opens the sink for a location (`out.jsonl`, `out.json`, `out.csv`, `out.tsv`,
 * `sqlite:./out.sqlite?table=results`, `-` for JSONL on stdout).
 *
 * @example
 * ```ts
 * await using sink = await resolveSink('out.csv', { mode: 'append', csv: { valueColumns: ['label'] } });
 * ```
 */
export async function resolveSink(location: string, options: ResolveSinkOptions = {}): Promise<Sink> {
  const parsed = parseLocation(location, options.format);
  const common = {
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.mode === undefined ? {} : { mode: options.mode }),
  };
  let target: string | Writable = parsed.path;
  if (parsed.kind === 'stdio') {
    if (options.allowStandardStreams === false || parsed.format === 'sqlite')
      throw refuseStandardStreams(location);
    target = options.standardOutput ?? process.stdout;
  }
  const stream = typeof target === 'string' ? {} : { endStream: false };
  switch (parsed.format) {
    case 'jsonl':
      return createJsonlSink(target, { ...options.jsonl, ...common, ...stream });
    case 'json':
      return createJsonSink(target, { ...options.json, ...common, ...stream });
    case 'csv':
      return createCsvSink(target, { ...options.csv, ...common, ...stream });
    case 'tsv':
      return createCsvSink(target, { delimiter: '\t', ...options.csv, ...common, ...stream });
    case 'sqlite': {
      onlyParameters(parsed.parameters, ['table'], location);
      const table = merge(parsed.parameters.table, options.sqlite?.table, 'table', location);
      return createSqliteSink(parsed.path, {
        ...options.sqlite,
        ...common,
        ...(table === undefined ? {} : { table }),
      });
    }
  }
}
