import { createHash } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadMigrations, migrate } from '../src/db/migrate.js';
import { createPgliteDatabase } from '../src/db/pglite-database.js';

const localPostgres = 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Postgres to run the suites against as well, or null for PGlite only. */
    postgresUrl: string | null;
    /** A PGlite data directory dump with every migration applied (cloned per test file). */
    pgliteTemplate: string;
  }
}

/**
 * Picks the databases for the server suites and prepares a migrated PGlite template, once.
 * PGlite always runs; Postgres runs too when DATABASE_URL is set or a local one answers.
 * LLMBATCH_TEST_DATABASES=pglite forces PGlite only.
 */
export default async function setup(project: TestProject): Promise<void> {
  let postgresUrl: string | null = null;
  if (process.env.LLMBATCH_TEST_DATABASES !== 'pglite') {
    const candidate = process.env.DATABASE_URL ?? localPostgres;
    if (await reachable(candidate)) {
      postgresUrl = candidate;
      process.env.DATABASE_URL = candidate;
    }
  }
  project.provide('postgresUrl', postgresUrl);
  project.provide('pgliteTemplate', await pgliteTemplate());
}

/**
 * A migrated PGlite data directory dump, kept in the temp folder between runs: its name carries a
 * hash of the migrations and the PGlite version, so any change makes a new one (initdb takes seconds).
 */
async function pgliteTemplate(): Promise<string> {
  const hash = createHash('sha256');
  for (const migration of await loadMigrations()) hash.update(`${migration.version}:${migration.sql}\n`);
  const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  hash.update(manifest.dependencies['@electric-sql/pglite'] ?? '');
  const template = join(tmpdir(), `llmbatch-server-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
  const exists = await stat(template).then(
    () => true,
    () => false,
  );
  if (exists) return template;
  const database = await createPgliteDatabase();
  await migrate(database);
  const dump = await database.dumpDataDirectory();
  await database.close();
  const partial = `${template}.${process.pid}`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, template);
  return template;
}
