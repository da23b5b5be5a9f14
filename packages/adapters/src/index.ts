export type { AdapterErrorCode, AdapterErrorOptions, SerializedAdapterError } from './errors.js';
export { AdapterError } from './errors.js';
export type { ByteInput, TextEncoding } from './internal/text.js';
export type { PathGuard, PathGuardOptions } from './path-guard.js';
export { createPathGuard } from './path-guard.js';
export type { Location, LocationFormat } from './registry/location.js';
export { knownExtensions, knownSchemes, parseLocation } from './registry/location.js';
export type { ResolveSinkOptions, ResolveSourceOptions } from './registry/resolve.js';
export { resolveSink, resolveSource } from './registry/resolve.js';
export type { ReadResumeStateOptions, ResumeState } from './resume/read-resume-state.js';
export { readResumeState } from './resume/read-resume-state.js';
export type { CsvSinkOptions } from './sinks/csv-sink.js';
export { createCsvSink } from './sinks/csv-sink.js';
export type { JsonSinkOptions } from './sinks/json-sink.js';
export { createJsonSink } from './sinks/json-sink.js';
export type { JsonlSinkOptions } from './sinks/jsonl-sink.js';
export { createJsonlSink } from './sinks/jsonl-sink.js';
export type {
  FileSinkOptions,
  ResultRecord,
  Sink,
  SinkFormat,
  SinkMode,
  SinkTarget,
  StreamSinkOptions,
} from './sinks/sink.js';
export type { SqliteSinkOptions } from './sinks/sqlite-sink.js';
export { createSqliteSink, resultColumns } from './sinks/sqlite-sink.js';
export type { CsvSource, CsvSourceOptions } from './sources/csv-source.js';
export { createCsvSource, createTsvSource } from './sources/csv-source.js';
export type { JsonSourceOptions } from './sources/json-source.js';
export { createJsonSource } from './sources/json-source.js';
export type { JsonlSourceOptions } from './sources/jsonl-source.js';
export { createJsonlSource } from './sources/jsonl-source.js';
export type {
  SkippedRecord,
  Source,
  SourceFormat,
  SourceReport,
  TextSourceOptions,
} from './sources/source.js';
export type { SqliteParameter, SqliteSourceOptions } from './sources/sqlite-source.js';
export { createSqliteSource } from './sources/sqlite-source.js';
