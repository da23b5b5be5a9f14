import type { DatabaseSync } from 'node:sqlite';
import * as z from 'zod';
import { AdapterError } from '../errors.js';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import { loadSqlite, quoteIdentifier, sqliteError } from '../internal/sqlite.js';
import { createPathGuard } from '../path-guard.js';
import { finishSink, type Sink, type SinkMode } from './sink.js';

/**
 * Options of {@link createSqliteSink}.
 *
 * @example
 * ```ts
 * await createSqliteSink('results.sqlite', { table: 'run_1', mode: 'append', commitEveryRows: 100 });
 * ```
 */
export interface SqliteSinkOptions {
  /** Directory the database path must stay inside. @default undefined (no confinement) */
  root?: string;
  /** Name of the results table (quoted as an identifier, never interpolated raw). @default 'results' */
  table?: string;
  /**
   * `overwrite` empties the results table; `append` keeps its rows and replaces a row whose key is
   * written again (upsert), which is how a run resumes; `create` refuses an existing results table.
   * @default 'overwrite'
   */
  mode?: SinkMode;
  /** Keep the model's raw text in the `raw` column. @default true */
  includeRaw?: boolean;
  /** Commit after this many results. @default 500 */
  commitEveryRows?: number;
  /** Commit at the latest this many milliseconds after the first uncommitted result. @default 1000 */
  commitIntervalMs?: number;
}

const schema = z
  .object({
    root: sharedSchemas.root,
    table: z.string().min(1).optional(),
    mode: sharedSchemas.sinkMode,
    includeRaw: z.boolean().optional(),
    commitEveryRows: z.number().int().positive().optional(),
    commitIntervalMs: z.number().int().positive().optional(),
  })
  .strict();

/**
 * The fixed columns of the results table; JSON columns hold JSON text.
 *
 * @example
 * ```ts
 * const names = resultColumns.map(([name]) => name); // ['key', 'index', 'status', 'value', ...]
 * ```
 */
export const resultColumns = [
  ['key', 'TEXT PRIMARY KEY NOT NULL'],
  ['index', 'INTEGER NOT NULL'],
  ['status', "TEXT NOT NULL CHECK (\"status\" IN ('ok', 'error'))"],
  ['value', 'TEXT'],
  ['raw', 'TEXT'],
  ['warnings', 'TEXT NOT NULL'],
  ['usage', 'TEXT NOT NULL'],
  ['cost', 'REAL'],
  ['attempts', 'TEXT NOT NULL'],
  ['error', 'TEXT'],
  ['duration_ms', 'REAL NOT NULL'],
  ['written_at', 'TEXT NOT NULL'],
] as const;

function tableColumns(database: DatabaseSync, table: string): string[] {
  return database
    .prepare('SELECT name FROM pragma_table_info(?)')
    .all(table)
    .map((row) => String(row.name));
}

/** Creates the results table, or checks an existing one has exactly the expected columns. */
function prepareTable(database: DatabaseSync, table: string, mode: SinkMode, path: string): void {
  const existing = tableColumns(database, table);
  const quoted = quoteIdentifier(table);
  if (existing.length === 0) {
    const columns = resultColumns.map(([name, type]) => `${quoteIdentifier(name)} ${type}`).join(', ');
    database.exec(`CREATE TABLE ${quoted} (${columns})`);
    return;
  }
  if (mode === 'create') {
    throw new AdapterError({
      code: 'sqlite-schema-mismatch',
      message: `SQLite database "${path}" already has a table "${table}" (mode "create" never reuses one)`,
      details: { table },
    });
  }
  const expected = resultColumns.map(([name]) => name);
  if (existing.length !== expected.length || !expected.every((name) => existing.includes(name))) {
    throw new AdapterError({
      code: 'sqlite-schema-mismatch',
      message: `Table "${table}" in "${path}" is not an llmbatch results table (columns: ${existing.join(', ')})`,
      details: { table, columns: existing, expected },
    });
  }
  if (mode === 'overwrite') database.exec(`DELETE FROM ${quoted}`);
}

/**
 * Writes results into an SQLite table with a fixed, quoted schema: `key` (primary key), `index`, `status`,
 * `value`, `raw`, `warnings`, `usage`, `cost`, `attempts`, `error`, `duration_ms`, `written_at`. Output
 * values are stored as JSON text (query them with `json_extract`), never as columns named after output
 * fields, and every value is a bound parameter. A key written again replaces its row (upsert).
 *
 * @example
 * ```ts
 * await using sink = await createSqliteSink('results.sqlite', { mode: 'append' });
 * await sink.write(result);
 * // SELECT key, json_extract(value, '$.sentiment') FROM results
 * ```
 */
export async function createSqliteSink(path: string, options: SqliteSinkOptions = {}): Promise<Sink> {
  const parsed = parseOptions('createSqliteSink', schema, options);
  const table = parsed.table ?? 'results';
  const mode = parsed.mode ?? 'overwrite';
  const includeRaw = parsed.includeRaw ?? true;
  const every = parsed.commitEveryRows ?? 500;
  const intervalMs = parsed.commitIntervalMs ?? 1000;
  const real = await createPathGuard({ root: parsed.root }).resolveWritable(path);
  const sqlite = await loadSqlite();
  let database: DatabaseSync;
  try {
    database = new sqlite.DatabaseSync(real, { allowExtension: false });
  } catch (error) {
    throw sqliteError(error, `Cannot open SQLite database "${path}"`);
  }
  let upsert: ReturnType<DatabaseSync['prepare']>;
  try {
    prepareTable(database, table, mode, path);
    const names = resultColumns.map(([name]) => quoteIdentifier(name));
    const updates = names.slice(1).map((name) => `${name} = excluded.${name}`);
    upsert = database.prepare(
      `INSERT INTO ${quoteIdentifier(table)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ` +
        `ON CONFLICT (${names[0]}) DO UPDATE SET ${updates.join(', ')}`,
    );
  } catch (error) {
    database.close();
    throw sqliteError(error, `Cannot prepare table "${table}" in "${path}"`);
  }

  let inTransaction = false;
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  let failure: AdapterError | undefined;
  let closed = false;
  const commit = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!inTransaction) return;
    inTransaction = false;
    pending = 0;
    database.exec('COMMIT');
  };
  const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

  return finishSink('sqlite', {
    async write(result) {
      if (failure !== undefined) throw failure;
      if (closed) throw new AdapterError({ code: 'sink-closed', message: 'The SQLite sink is closed' });
      try {
        if (!inTransaction) {
          database.exec('BEGIN');
          inTransaction = true;
          timer = setTimeout(() => {
            try {
              commit();
            } catch (error) {
              failure = sqliteError(error, 'SQLite commit failed');
            }
          }, intervalMs);
          timer.unref();
        }
        upsert.run(
          result.key,
          result.index,
          result.status,
          json(result.value),
          includeRaw ? (result.raw ?? null) : null,
          JSON.stringify(result.warnings),
          JSON.stringify(result.usage),
          result.cost,
          JSON.stringify(result.attempts),
          json(result.error),
          result.durationMs,
          new Date().toISOString(),
        );
        pending += 1;
        if (pending >= every) commit();
      } catch (error) {
        throw sqliteError(error, 'SQLite write failed');
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        commit();
      } catch (error) {
        failure ??= sqliteError(error, 'SQLite commit failed');
      } finally {
        database.close();
      }
      if (failure !== undefined) throw failure;
    },
  });
}
