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

  it('004 turns results stored as jsonb rows into batches of the lines their download sends', async () => {
    const script = (await loadMigrations()).find((migration) => migration.version === 4)?.sql;
    if (script === undefined) throw new Error('migration 004 is missing');
    const jobId = '00000000-0000-4000-8000-000000000004';
    const batches = await test.database.transaction(async (transaction) => {
      // The tables as migration 002 made them, in a schema of their own that the script runs in.
      await transaction.executeScript(`
        CREATE SCHEMA migration_004;
        SET LOCAL search_path TO migration_004;
        CREATE TABLE jobs (id uuid PRIMARY KEY);
        CREATE TABLE job_results (
          job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE, unit_index integer NOT NULL,
          status text NOT NULL, result jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (job_id, unit_index));`);
      await transaction.query('INSERT INTO jobs (id) VALUES ($1)', [jobId]);
      await transaction.query(
        `INSERT INTO job_results (job_id, unit_index, status, result) VALUES
           ($1, 1, 'error', '{"value":null,"raw":null,"error":{"code":"timeout","message":"slow","retryable":true},"usage":{"inputTokens":0,"outputTokens":0,"cachedInputTokens":0,"cacheWriteTokens":0},"cost":null,"durationMs":9}'),
           ($1, 0, 'ok', '{"value":{"a":1},"raw":"{\\"a\\":1}","error":null,"warnings":["w"],"usage":{"inputTokens":5,"outputTokens":2,"cachedInputTokens":0,"cacheWriteTokens":0},"cost":0.5,"attempts":[{"attempt":1,"durationMs":3}],"durationMs":3}'),
           ($1, 1000, 'ok', '{"value":"late","raw":"late","error":null,"warnings":[],"usage":{"inputTokens":1,"outputTokens":1,"cachedInputTokens":0,"cacheWriteTokens":0},"cost":0,"attempts":[],"durationMs":1}')`,
        [jobId],
      );
      await transaction.executeScript(script);
      const { rows } = await transaction.query<Record<string, unknown>>(
        `SELECT first_index, last_index, indexes, error_positions, lines
           FROM job_result_batches ORDER BY first_index`,
      );
      await transaction.executeScript('DROP SCHEMA migration_004 CASCADE');
      return rows;
    });
    expect(
      batches.map(({ lines, ...batch }) => ({
        ...batch,
        lines: String(lines)
          .split('\n')
          .map((line) => JSON.parse(line) as unknown),
      })),
    ).toEqual([
      {
        first_index: 0,
        last_index: 1,
        indexes: [0, 1],
        error_positions: [1],
        lines: [
          {
            index: 0,
            status: 'ok',
            value: { a: 1 },
            raw: '{"a":1}',
            error: null,
            warnings: ['w'],
            usage: { inputTokens: 5, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 0 },
            cost: 0.5,
            attempts: [{ attempt: 1, durationMs: 3 }],
            durationMs: 3,
          },
          // Recorded before warnings and attempts were kept: the line has empty ones.
          {
            index: 1,
            status: 'error',
            value: null,
            raw: null,
            error: { code: 'timeout', message: 'slow', retryable: true },
            warnings: [],
            usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 },
            cost: null,
            attempts: [],
            durationMs: 9,
          },
        ],
      },
      {
        first_index: 1000,
        last_index: 1000,
        indexes: [1000],
        error_positions: [],
        lines: [
          {
            index: 1000,
            status: 'ok',
            value: 'late',
            raw: 'late',
            error: null,
            warnings: [],
            usage: { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0 },
            cost: 0,
            attempts: [],
            durationMs: 1,
          },
        ],
      },
    ]);
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
