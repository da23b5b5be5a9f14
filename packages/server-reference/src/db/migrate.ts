import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './database.js';

/** One numbered SQL migration file. */
export interface Migration {
  /** The number in the file name (`001_identity.sql` → 1). */
  version: number;
  /** The file name without number and extension (`identity`). */
  name: string;
  /** The SQL script. */
  sql: string;
}

/** Where the numbered migrations live: next to this module in the source tree and in `dist/`. */
export const defaultMigrationsDirectory = new URL('./migrations/', import.meta.url);

const fileNamePattern = /^(\d{3})_([a-z0-9_]+)\.sql$/;
// First key of the two-key advisory lock; the second is the schema, so schemas migrate independently.
const lockNamespace = 7_245_001;

/**
 * Reads the numbered `NNN_name.sql` files of a folder, ordered by number.
 *
 * @example
 * ```ts
 * const migrations = await loadMigrations();
 * console.log(migrations.map((migration) => migration.version));
 * ```
 */
export async function loadMigrations(
  directory: URL | string = defaultMigrationsDirectory,
): Promise<Migration[]> {
  const folder = typeof directory === 'string' ? directory : fileURLToPath(directory);
  const names = (await readdir(folder)).filter((name) => fileNamePattern.test(name)).sort();
  const migrations: Migration[] = [];
  for (const fileName of names) {
    const match = fileNamePattern.exec(fileName);
    if (match === null) continue;
    const [, number = '', name = ''] = match;
    const sql = await readFile(join(folder, fileName), 'utf8');
    migrations.push({ version: Number(number), name, sql });
  }
  for (const [index, migration] of migrations.entries()) {
    if (migration.version !== index + 1) {
      throw new Error(
        `Migrations must be numbered 001, 002, … without gaps; found ${migration.version} at ${index + 1}`,
      );
    }
  }
  return migrations;
}

async function appliedVersions(queryable: Queryable): Promise<Set<number>> {
  const { rows } = await queryable.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((row) => row.version));
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Versions applied by this call, in order (empty when the schema was up to date). */
  applied: number[];
  /** The newest version now in the database. */
  current: number;
}

/**
 * Applies every pending migration in one transaction under an advisory lock, so two instances
 * starting together apply each migration once; the second waits, then finds nothing to do.
 *
 * @example
 * ```ts
 * const { applied } = await migrate(database);
 * ```
 */
export async function migrate(database: Database, migrations?: readonly Migration[]): Promise<MigrateResult> {
  const all = migrations ?? (await loadMigrations());
  return database.transaction(async (transaction) => {
    await transaction.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [lockNamespace]);
    await transaction.executeScript(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const done = await appliedVersions(transaction);
    const applied: number[] = [];
    for (const migration of all) {
      if (done.has(migration.version)) continue;
      await transaction.executeScript(migration.sql);
      await transaction.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return { applied, current: Math.max(0, ...done, ...applied) };
  });
}

/**
 * Tells whether every known migration has been applied (used by `/readyz`).
 *
 * @example
 * ```ts
 * const { pending } = await migrationStatus(database);
 * if (pending.length > 0) console.log('run llmbatch-server migrate');
 * ```
 */
export async function migrationStatus(
  database: Queryable,
  migrations?: readonly Migration[],
): Promise<{ pending: number[] }> {
  const all = migrations ?? (await loadMigrations());
  const { rows } = await database.query<{ exists: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS exists",
  );
  const done = rows[0]?.exists === true ? await appliedVersions(database) : new Set<number>();
  return {
    pending: all.filter((migration) => !done.has(migration.version)).map((migration) => migration.version),
  };
}
