import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as z from 'zod';
import { AdapterError } from '../errors.js';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import {
  installReadOnlyAuthorizer,
  loadSqlite,
  prepareReadOnlyQuery,
  quoteIdentifier,
  sqliteError,
} from '../internal/sqlite.js';
import { createPathGuard } from '../path-guard.js';
import { createSource, type Source } from './source.js';

/**
 * A value bound to a query parameter.
 *
 * @example
 * ```ts
 * createSqliteSource('shop.db', { query: 'SELECT * FROM t WHERE id = ?', parameters: [42] });
 * ```
 */
export type SqliteParameter = string | number | bigint | null | Uint8Array;

/**
 * Options of {@link createSqliteSource}: exactly one of `table` or `query`.
 *
 * @example
 * ```ts
 * createSqliteSource('shop.db', { table: 'reviews' });
 * createSqliteSource('shop.db', { query: 'SELECT * FROM reviews WHERE stars < :stars', parameters: { stars: 3 } });
 * ```
 */
export interface SqliteSourceOptions {
  /** Directory the database path must stay inside. @default undefined (no confinement) */
  root?: string;
  /** A table or view to read whole; quoted as an identifier and checked to exist. */
  table?: string;
  /** One read-only `SELECT` statement; values go in `parameters`, never into the text. */
  query?: string;
  /** Values for the query's `?` (array) or `:name` / `$name` / `@name` (object) placeholders. @default none */
  parameters?: readonly SqliteParameter[] | Readonly<Record<string, SqliteParameter>>;
}

const parameter = z.union([
  z.string(),
  z.number(),
  z.bigint(),
  z.null(),
  z.custom<Uint8Array>((value) => value instanceof Uint8Array),
]);

const schema = z
  .object({
    root: sharedSchemas.root,
    table: z.string().min(1).optional(),
    query: z.string().min(1).optional(),
    parameters: z.union([z.array(parameter).readonly(), z.record(z.string(), parameter)]).optional(),
  })
  .strict()
  .refine((value) => (value.table === undefined) !== (value.query === undefined), {
    message: 'give exactly one of table or query',
  })
  .refine((value) => value.parameters === undefined || value.query !== undefined, {
    message: 'parameters need a query',
  });

/** Rows between yields to the event loop: node:sqlite iterates synchronously. */
const rowsPerTurn = 256;

function run(statement: StatementSync, parameters: SqliteSourceOptions['parameters']) {
  if (parameters === undefined) return statement.iterate();
  if (Array.isArray(parameters)) return statement.iterate(...(parameters as SQLInputValue[]));
  return statement.iterate(parameters as Record<string, SQLInputValue>);
}

/**
 * Reads rows from an SQLite database with Node's built-in `node:sqlite`, opened read-only and streamed
 * with an iterator. Give a `table` (quoted as an identifier, checked to exist) or a `query`: exactly one
 * `SELECT` statement with bound `parameters`. Anything else (a write, `ATTACH`, a pragma, a second
 * statement, `VACUUM INTO`) is rejected with `sqlite-query-rejected` before it runs.
 *
 * @example
 * ```ts
 * const source = createSqliteSource('shop.sqlite', {
 *   query: 'SELECT id, review FROM reviews WHERE stars <= :stars',
 *   parameters: { stars: 2 },
 * });
 * for await (const row of source) console.log(row.id);
 * ```
 */
export function createSqliteSource(path: string, options: SqliteSourceOptions): Source {
  const parsed = parseOptions('createSqliteSource', schema, options);
  const guard = createPathGuard({ root: parsed.root });

  return createSource('sqlite', 100, async function* read(state) {
    const real = await guard.resolveReadable(path);
    const sqlite = await loadSqlite();
    let database: InstanceType<typeof sqlite.DatabaseSync>;
    try {
      database = new sqlite.DatabaseSync(real, { readOnly: true, allowExtension: false });
    } catch (error) {
      throw sqliteError(error, `Cannot open SQLite database "${path}"`);
    }
    try {
      database.enableDefensive?.(true);
      let statement: StatementSync;
      if (parsed.query !== undefined) {
        statement = prepareReadOnlyQuery(database, installReadOnlyAuthorizer(sqlite, database), parsed.query);
      } else {
        const table = parsed.table as string;
        const found = database
          .prepare("SELECT 1 AS found FROM sqlite_schema WHERE name = ? AND type IN ('table', 'view')")
          .get(table);
        if (found === undefined) {
          const known = database
            .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name LIMIT 50")
            .all()
            .map((row) => String(row.name));
          throw new AdapterError({
            code: 'sqlite-table-not-found',
            message: `SQLite database "${path}" has no table or view "${table}" (tables: ${known.join(', ') || 'none'})`,
            details: { table, known },
          });
        }
        statement = database.prepare(`SELECT * FROM ${quoteIdentifier(table)}`);
      }
      if (typeof statement.columns === 'function')
        state.columns = statement.columns().map((column) => column.name);
      let count = 0;
      let rows: Iterator<Record<string, unknown>>;
      try {
        rows = run(statement, parsed.parameters);
      } catch (error) {
        throw sqliteError(error, 'SQLite query failed');
      }
      for (;;) {
        let next: IteratorResult<Record<string, unknown>>;
        try {
          next = rows.next();
        } catch (error) {
          throw sqliteError(error, 'SQLite query failed');
        }
        if (next.done === true) break;
        const record = { ...next.value };
        if (state.columns === undefined) state.columns = Object.keys(record);
        state.report.recordsRead += 1;
        yield record;
        count += 1;
        if (count % rowsPerTurn === 0) await nextTurn();
      }
    } finally {
      database.close();
    }
  });
}
