import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.js';
import { assertStatementText } from './database.js';

/** Options for {@link createPgliteDatabase}. */
export interface PgliteDatabaseOptions {
  /** Folder holding the embedded database files. @default in memory (tests) */
  dataDirectory?: string;
  /** A data directory dump (`PGlite#dumpDataDir`) to start from, so tests skip `initdb`. */
  loadDataDirectory?: Blob | File;
}

/**
 * The embedded database, which can also dump its data directory (tests clone a migrated template).
 *
 * @example
 * ```ts
 * const template = await (await createPgliteDatabase()).dumpDataDirectory();
 * ```
 */
export interface PgliteDatabase extends Database {
  /** An uncompressed tarball of the data directory, loadable with `loadDataDirectory`. */
  dumpDataDirectory(): Promise<Blob>;
}

interface PgliteQueryable {
  query<Row>(text: string, values?: unknown[]): Promise<{ rows: Row[]; affectedRows?: number }>;
  exec(text: string): Promise<unknown>;
}

function wrap(driver: PgliteQueryable): Queryable {
  return {
    async query<Row>(text: string, values: readonly unknown[] = []): Promise<QueryResult<Row>> {
      assertStatementText(text);
      const result = await driver.query<Row>(text, [...values]);
      return {
        rows: result.rows,
        rowCount: result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? 0),
      };
    },
    async executeScript(text: string): Promise<void> {
      assertStatementText(text);
      await driver.exec(text);
    },
  };
}

/**
 * Opens the embedded database: real Postgres compiled to WebAssembly, stored in a folder.
 *
 * @example
 * ```ts
 * const database = await createPgliteDatabase({ dataDirectory: './.llmbatch-data/pglite' });
 * ```
 */
export async function createPgliteDatabase(options: PgliteDatabaseOptions = {}): Promise<PgliteDatabase> {
  const pglite = await PGlite.create({
    ...(options.dataDirectory === undefined ? {} : { dataDir: options.dataDirectory }),
    ...(options.loadDataDirectory === undefined ? {} : { loadDataDir: options.loadDataDirectory }),
  });
  const queryable = wrap(pglite);
  let closed = false;
  return {
    kind: 'pglite',
    query: queryable.query,
    executeScript: queryable.executeScript,
    transaction<T>(fn: (transaction: Queryable) => Promise<T>): Promise<T> {
      return pglite.transaction((transaction) => fn(wrap(transaction)));
    },
    async listen(channel, onNotify) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new TypeError(`not a channel name: ${channel}`);
      const unlisten = await pglite.listen(channel, onNotify);
      return async () => {
        if (!closed) await unlisten();
      };
    },
    dumpDataDirectory(): Promise<Blob> {
      return pglite.dumpDataDir('none');
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pglite.close();
    },
  };
}
