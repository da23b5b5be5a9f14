import { mkdir } from 'node:fs/promises';
import type { ServerConfig } from '../config/load-config.js';
import type { Database } from './database.js';
import { createPgliteDatabase } from './pglite-database.js';
import { createPostgresDatabase } from './postgres-database.js';

/**
 * Opens the database the configuration names: a Postgres pool for `DATABASE_URL`, otherwise the
 * embedded PGlite database in `<data dir>/pglite`.
 *
 * @example
 * ```ts
 * const database = await openDatabase(config.database);
 * ```
 */
export async function openDatabase(
  database: ServerConfig['database'],
  options: { onIdleError?: (error: Error) => void } = {},
): Promise<Database> {
  if (database.kind === 'postgres') {
    return createPostgresDatabase({
      connectionString: database.url,
      maxConnections: database.maxConnections,
      ...(options.onIdleError === undefined ? {} : { onIdleError: options.onIdleError }),
    });
  }
  await mkdir(database.dataDirectory, { recursive: true, mode: 0o700 });
  return createPgliteDatabase({ dataDirectory: database.dataDirectory });
}
