import { mkdir } from 'node:fs/promises';
import type { ServerConfig } from '../config/load-config.js';
import type { Database } from './database.js';

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
  // Each driver is loaded only when used: a Postgres process never loads PGlite, and the other way round.
  if (database.kind === 'postgres') {
    const { createPostgresDatabase } = await import('./postgres-database.js');
    return createPostgresDatabase({
      connectionString: database.url,
      maxConnections: database.maxConnections,
      ...(options.onIdleError === undefined ? {} : { onIdleError: options.onIdleError }),
    });
  }
  await mkdir(database.dataDirectory, { recursive: true, mode: 0o700 });
  const { createPgliteDatabase } = await import('./pglite-database.js');
  return createPgliteDatabase({ dataDirectory: database.dataDirectory });
}
