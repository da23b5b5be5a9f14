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

  it('004 turns results stored as jsonb into the lines their download sends, with their usage beside them', async () => {
    const script = (await loadMigrations()).find((migration) => migration.version === 4)?.sql;
    if (script === undefined) throw new Error('migration 004 is missing');
    const jobId = '00000000-0000-4000-8000-000000000004';
    const rows = await test.database.transaction(async (transaction) => {
      // The table as migration 002 made it, in this transaction's temporary schema (which shadows the
      // real one), so the script runs on it and nothing else is touched.
      await transaction.query(
        `CREATE TEMP TABLE job_results (
           job_id uuid NOT NULL, unit_index integer NOT NULL, status text NOT NULL, result jsonb NOT NULL,
           created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (job_id, unit_index)) ON COMMIT DROP`,
      );
      await transaction.query(
        `INSERT INTO job_results (job_id, unit_index, status, result) VALUES
           ($1, 0, 'ok', '{"value":{"a":1},"raw":"{\\"a\\":1}","error":null,"warnings":["w"],"usage":{"inputTokens":5,"outputTokens":2,"cachedInputTokens":0,"cacheWriteTokens":0},"cost":0.5,"attempts":[{"attempt":1,"durationMs":3}],"durationMs":3}'),
           ($1, 1, 'error', '{"value":null,"raw":null,"error":{"code":"timeout","message":"slow","retryable":true},"usage":{"inputTokens":0,"outputTokens":0,"cachedInputTokens":0,"cacheWriteTokens":0},"cost":null,"durationMs":9}')`,
        [jobId],
      );
      await transaction.executeScript(script);
      const { rows } = await transaction.query<Record<string, unknown>>(
        `SELECT unit_index, status, error_code, input_tokens::int AS input_tokens, output_tokens::int AS output_tokens, cost, line
           FROM job_results ORDER BY unit_index`,
      );
      return rows;
    });
    expect(rows.map(({ line, ...row }) => ({ ...row, line: JSON.parse(String(line)) }))).toEqual([
      {
        unit_index: 0,
        status: 'ok',
        error_code: null,
        input_tokens: 5,
        output_tokens: 2,
        cost: 0.5,
        line: {
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
      },
      {
        unit_index: 1,
        status: 'error',
        error_code: 'timeout',
        input_tokens: 0,
        output_tokens: 0,
        cost: null,
        // Recorded before warnings and attempts were kept: the line has empty ones.
        line: {
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
