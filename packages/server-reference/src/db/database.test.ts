import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabases } from '../../test/support/databases.js';

describe.each(testDatabases())('database interface on %s', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await test.dispose();
  });

  it('refuses a statement whose text is not a string, and keeps working afterwards', async () => {
    const query = test.database.query as (text: unknown, values?: unknown[]) => Promise<unknown>;
    await expect(query(42)).rejects.toThrow('SQL text must be a non-empty string, received number');
    await expect(query({ text: 'SELECT 1' })).rejects.toThrow('received object');
    await expect(query(undefined)).rejects.toThrow('received undefined');
    const { rows } = await test.database.query<{ value: number }>('SELECT $1::int AS value', [7]);
    expect(rows).toEqual([{ value: 7 }]);
  });

  it('runs a statement prepared by name again with new values', async () => {
    const names = await test.database.transaction(async (transaction) => {
      const first = await transaction.query<{ n: number }>('SELECT $1::int * 2 AS n', [2], {
        prepare: 'double',
      });
      const second = await transaction.query<{ n: number }>('SELECT $1::int * 2 AS n', [5], {
        prepare: 'double',
      });
      expect([first.rows, second.rows]).toEqual([[{ n: 4 }], [{ n: 10 }]]);
      if (kind !== 'postgres') return undefined;
      // On Postgres the connection keeps it prepared (PGlite, in-process, has nothing to save), with
      // one plan for any values rather than a new plan per execution.
      const { rows } = await transaction.query<{ name: string; generic_plans: string; custom_plans: string }>(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'llmbatch_double'",
      );
      return rows;
    });
    if (kind === 'postgres')
      expect(names).toEqual([{ name: 'llmbatch_double', generic_plans: '2', custom_plans: '0' }]);
  });

  it('passes values as parameters, never as SQL', async () => {
    const hostile = "'); DROP TABLE users; --";
    const { rows } = await test.database.query<{ value: string }>('SELECT $1::text AS value', [hostile]);
    expect(rows).toEqual([{ value: hostile }]);
    const { rows: tables } = await test.database.query("SELECT to_regclass('users') IS NOT NULL AS exists");
    expect(tables).toEqual([{ exists: true }]);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await test.database.executeScript('CREATE TABLE IF NOT EXISTS scratch (value text)');
    await test.database.transaction(async (transaction) => {
      await transaction.query('INSERT INTO scratch (value) VALUES ($1)', ['kept']);
    });
    await expect(
      test.database.transaction(async (transaction) => {
        await transaction.query('INSERT INTO scratch (value) VALUES ($1)', ['dropped']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rows } = await test.database.query('SELECT value FROM scratch ORDER BY value');
    expect(rows).toEqual([{ value: 'kept' }]);
  });

  it('reports rows affected by an update', async () => {
    const { rowCount } = await test.database.query(
      "UPDATE scratch SET value = 'changed' WHERE value = 'kept'",
    );
    expect(rowCount).toBe(1);
  });
});
