import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabases } from '../../test/support/databases.js';
import { loadMigrations, migrate, migrationStatus } from './migrate.js';

describe('loadMigrations', () => {
  it('reads the numbered SQL files in order', async () => {
    const migrations = await loadMigrations();
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, index) => index + 1));
    expect(migrations[0]?.name).toBe('identity');
  });

  it('refuses a gap in the numbering', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llmbatch-migrations-'));
    await writeFile(join(folder, '001_first.sql'), 'SELECT 1;');
    await writeFile(join(folder, '003_third.sql'), 'SELECT 1;');
    await expect(loadMigrations(folder)).rejects.toThrow('found 3 at 2');
    await rm(folder, { recursive: true });
  });
});

describe.each(testDatabases())('migrate on %s', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await test.dispose();
  });

  it('applies nothing twice', async () => {
    const result = await migrate(test.database);
    expect(result.applied).toEqual([]);
    expect(await migrationStatus(test.database)).toEqual({ pending: [] });
  });

  it('applies a new migration exactly once when two instances start together', async () => {
    const known = await loadMigrations();
    const next = known.length + 1;
    const migrations = [
      ...known,
      {
        version: next,
        name: 'counter',
        sql: 'CREATE TABLE migration_runs (id int); INSERT INTO migration_runs VALUES (1);',
      },
    ];
    expect(await migrationStatus(test.database, migrations)).toEqual({ pending: [next] });
    const second = test.openSecondConnection();
    const results = await Promise.all([migrate(test.database, migrations), migrate(second, migrations)]);
    await second.close();
    expect(results.map((result) => result.applied).sort()).toEqual([[], [next]]);
    const { rows } = await test.database.query('SELECT count(*)::int AS runs FROM migration_runs');
    expect(rows).toEqual([{ runs: 1 }]);
    expect(await migrationStatus(test.database, migrations)).toEqual({ pending: [] });
  });
});
