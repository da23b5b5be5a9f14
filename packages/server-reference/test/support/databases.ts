import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createPgliteDatabase } from '../../src/db/pglite-database.js';
import { createPostgresDatabase } from '../../src/db/postgres-database.js';

/** The databases every route suite runs on. */
export type DatabaseKind = 'pglite' | 'postgres';

/**
 * PGlite always; Postgres as well when the global setup found one.
 */
export function testDatabases(): DatabaseKind[] {
  return inject('postgresUrl') === null ? ['pglite'] : ['pglite', 'postgres'];
}

/** A migrated database of its own, and how to get rid of it. */
export interface TestDatabase {
  database: Database;
  /** Another connection to the same data (a second pool on Postgres; the same instance on PGlite). */
  openSecondConnection(): Database;
  /** The Postgres schema (postgres only), e.g. to open a second pool on it. */
  schema: string | undefined;
  /** Connection string (postgres only). */
  url: string | undefined;
  dispose(): Promise<void>;
}

let templateBytes: Promise<Buffer> | undefined;

/**
 * A fresh migrated database: a PGlite clone of the template, or a new schema on the local Postgres
 * (each test file's rows are invisible to every other file).
 */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    templateBytes ??= readFile(inject('pgliteTemplate'));
    const database = await createPgliteDatabase({ loadDataDirectory: new Blob([await templateBytes]) });
    return {
      database,
      openSecondConnection: () => ({ ...database, close: async () => {} }),
      schema: undefined,
      url: undefined,
      dispose: () => database.close(),
    };
  }
  const url = inject('postgresUrl');
  if (url === null) throw new Error('No Postgres for this run');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const database = createPostgresDatabase({ connectionString: url, schema, maxConnections: 5 });
  await migrate(database);
  return {
    database,
    openSecondConnection: () => createPostgresDatabase({ connectionString: url, schema, maxConnections: 5 }),
    schema,
    url,
    async dispose() {
      await database.close();
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.end();
    },
  };
}
