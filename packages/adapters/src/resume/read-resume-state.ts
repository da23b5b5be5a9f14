import type { FileHandle } from 'node:fs/promises';
import { AdapterError } from '../errors.js';
import { restoreHeaderCell } from '../internal/csv-cells.js';
import { openForWrite } from '../internal/files.js';
import { loadSqlite, quoteIdentifier, sqliteError } from '../internal/sqlite.js';
import { cutTornCsvRecord, cutTornLine } from '../internal/torn-tail.js';
import { createPathGuard, type PathGuard } from '../path-guard.js';
import { type LocationFormat, parseLocation } from '../registry/location.js';
import { createCsvSource } from '../sources/csv-source.js';
import { createJsonlSource } from '../sources/jsonl-source.js';

/**
 * What an output already holds, read before a run resumes.
 *
 * @example
 * ```ts
 * const { keys, truncatedBytes } = await readResumeState('out.jsonl');
 * if (truncatedBytes > 0) console.warn('cut a torn last line');
 * const done = [...keys].filter(([, status]) => status === 'ok').length;
 * ```
 */
export interface ResumeState {
  /** Each key found with its last status (a key written twice keeps the later line or the upserted row). */
  keys: Map<string, 'ok' | 'error'>;
  /** Bytes cut from a torn last line or record (JSONL/CSV); 0 for SQLite. */
  truncatedBytes: number;
}

/**
 * Options of {@link readResumeState}.
 *
 * @example
 * ```ts
 * await readResumeState('results.sqlite', { root: process.cwd(), table: 'run_1' });
 * ```
 */
export interface ReadResumeStateOptions {
  /** Directory the path must stay inside. @default undefined (no confinement) */
  root?: string;
  /** The format, overriding the extension. @default from the location */
  format?: LocationFormat;
  /** Results table of an SQLite output. @default 'results' (or `?table=` in the location) */
  table?: string;
}

async function exists(guard: PathGuard, path: string): Promise<boolean> {
  try {
    await guard.resolveReadable(path);
    return true;
  } catch (error) {
    if (AdapterError.isInstance(error) && error.code === 'not-found') return false;
    throw error;
  }
}

async function cut(guard: PathGuard, path: string, how: (handle: FileHandle) => Promise<number>) {
  const { handle } = await openForWrite(guard, path, 'append');
  try {
    return await how(handle);
  } finally {
    await handle.close();
  }
}

function record(keys: ResumeState['keys'], key: unknown, status: unknown, where: string): void {
  if (typeof key !== 'string' || (status !== 'ok' && status !== 'error')) {
    throw new AdapterError({
      code: 'parse',
      message: `${where} is not an llmbatch result (needs a string "key" and a "status" of ok or error)`,
    });
  }
  keys.set(key, status);
}

async function readSqlite(guard: PathGuard, path: string, table: string): Promise<ResumeState> {
  const keys: ResumeState['keys'] = new Map();
  const real = await guard.resolveReadable(path);
  const sqlite = await loadSqlite();
  const database = new sqlite.DatabaseSync(real, { readOnly: true, allowExtension: false });
  try {
    const columns = database
      .prepare('SELECT name FROM pragma_table_info(?)')
      .all(table)
      .map((row) => String(row.name));
    if (columns.length === 0) return { keys, truncatedBytes: 0 };
    if (!columns.includes('key') || !columns.includes('status')) {
      throw new AdapterError({
        code: 'sqlite-schema-mismatch',
        message: `Table "${table}" in "${path}" is not an llmbatch results table`,
        details: { table, columns },
      });
    }
    const rows = database.prepare(`SELECT "key", "status" FROM ${quoteIdentifier(table)}`).iterate();
    for (const row of rows) record(keys, row.key, row.status, `Table "${table}"`);
    return { keys, truncatedBytes: 0 };
  } catch (error) {
    throw sqliteError(error, `Cannot read results from "${path}"`);
  } finally {
    database.close();
  }
}

/**
 * Reads which keys an output (JSONL, CSV/TSV or SQLite) already holds, so a resumed run can skip them. A
 * torn last line or record left by a crash is cut from the file first (the file is modified), so the sink
 * can then append safely. A missing file means nothing is done yet. The CLI calls this before it opens the
 * sink with `mode: 'append'`.
 *
 * @example
 * ```ts
 * const { keys } = await readResumeState('out.jsonl');
 * const todo = filter(source, (row) => keys.get(String(row.id)) !== 'ok');
 * await using sink = await resolveSink('out.jsonl', { mode: 'append' });
 * ```
 */
export async function readResumeState(
  location: string,
  options: ReadResumeStateOptions = {},
): Promise<ResumeState> {
  const parsed = parseLocation(location, options.format);
  const guard = createPathGuard({ root: options.root });
  const root = options.root === undefined ? {} : { root: options.root };
  if (parsed.kind === 'stdio' || parsed.format === 'json') {
    throw new AdapterError({
      code: 'append-unsupported',
      message: `"${location}" cannot be resumed; write to a JSONL, CSV or SQLite file`,
      details: { location },
    });
  }
  if (!(await exists(guard, parsed.path))) return { keys: new Map(), truncatedBytes: 0 };
  if (parsed.format === 'sqlite') {
    return readSqlite(guard, parsed.path, parsed.parameters.table ?? options.table ?? 'results');
  }
  const keys: ResumeState['keys'] = new Map();
  if (parsed.format === 'jsonl') {
    const truncatedBytes = await cut(guard, parsed.path, cutTornLine);
    const source = createJsonlSource(parsed.path, root);
    for await (const row of source)
      record(keys, row.key, row.status, `${parsed.path} line ${source.report.linesRead}`);
    return { keys, truncatedBytes };
  }
  const truncatedBytes = await cut(guard, parsed.path, cutTornCsvRecord);
  const delimiter = parsed.format === 'tsv' ? '\t' : ',';
  const source = createCsvSource(parsed.path, { ...root, delimiter, columns: ['key', 'status'] });
  for await (const row of source) {
    // The CSV sink neutralises a key such as "=1" to "'=1"; read it back as the engine knows it.
    const key = typeof row.key === 'string' ? restoreHeaderCell(row.key) : row.key;
    record(keys, key, row.status, `${parsed.path} line ${source.report.linesRead}`);
  }
  return { keys, truncatedBytes };
}
