import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it, vi } from 'vitest';
import { AdapterError } from '../errors.js';
import { rejectionOf, result, tempDir } from '../test-support/fixtures.js';
import { createSqliteSink, resultColumns } from './sqlite-sink.js';

function read(path: string, sql: string, ...parameters: string[]) {
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    return database.prepare(sql).all(...parameters);
  } finally {
    database.close();
  }
}

function columnsOf(path: string, table: string): string[] {
  return read(path, 'SELECT name FROM pragma_table_info(?)', table).map((row) => String(row.name));
}

async function databaseWithItems(): Promise<string> {
  const path = join(await tempDir(), 'out.sqlite');
  const database = new DatabaseSync(path);
  database.exec('CREATE TABLE items (id INTEGER); INSERT INTO items VALUES (1), (2);');
  database.close();
  return path;
}

describe('createSqliteSink', () => {
  it('creates the fixed results table and stores outputs as JSON text', async () => {
    const path = await databaseWithItems();
    const sink = await createSqliteSink(path);
    await sink.write(result({ key: 'a', value: { label: 'pos', score: 2 } }));
    await sink.close();
    expect(columnsOf(path, 'results')).toEqual(resultColumns.map(([name]) => name));
    const [row] = read(path, 'SELECT * FROM results');
    expect(row).toEqual({
      key: 'a',
      index: 0,
      status: 'ok',
      value: '{"label":"pos","score":2}',
      raw: '{"label":"positive"}',
      warnings: '[]',
      usage: JSON.stringify(result().usage),
      cost: 0.0001,
      attempts: '[{"attempt":1,"durationMs":12}]',
      error: null,
      duration_ms: 12,
      written_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(read(path, "SELECT json_extract(value, '$.label') AS label FROM results")).toEqual([
      { label: 'pos' },
    ]);
  });

  it('stores the key `"; DROP TABLE results; --` as data and leaves every table intact', async () => {
    const path = await databaseWithItems();
    const key = '"; DROP TABLE results; --';
    const sink = await createSqliteSink(path);
    await sink.write(result({ key }));
    await sink.write(result({ key: "'); DELETE FROM items; --", index: 1 }));
    await sink.close();
    expect(read(path, 'SELECT key FROM results ORDER BY "index"')).toEqual([
      { key },
      { key: "'); DELETE FROM items; --" },
    ]);
    expect(read(path, 'SELECT id FROM items')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('never turns output field names into columns', async () => {
    const path = await databaseWithItems();
    const sink = await createSqliteSink(path);
    await sink.write(result({ value: { 'x" TEXT); DROP TABLE items; --': 1, normal: 2 } }));
    await sink.close();
    expect(columnsOf(path, 'results')).toEqual(resultColumns.map(([name]) => name));
    expect(read(path, 'SELECT value FROM results')).toEqual([
      { value: '{"x\\" TEXT); DROP TABLE items; --":1,"normal":2}' },
    ]);
    expect(read(path, 'SELECT id FROM items')).toHaveLength(2);
  });

  it('quotes a hostile table name as one identifier', async () => {
    const path = await databaseWithItems();
    const table = 'r"; DROP TABLE items; --';
    const sink = await createSqliteSink(path, { table });
    await sink.write(result());
    await sink.close();
    expect(read(path, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")).toEqual([
      { name: 'items' },
      { name: table },
    ]);
  });

  it('upserts by key in append mode, empties in overwrite mode, and refuses an existing table in create mode', async () => {
    const path = await databaseWithItems();
    const first = await createSqliteSink(path);
    await first.write(result({ key: 'a', value: 1 }));
    await first.write(result({ key: 'b', value: 2 }));
    await first.close();
    const resumed = await createSqliteSink(path, { mode: 'append' });
    await resumed.write(result({ key: 'a', value: 10, status: 'ok' }));
    await resumed.close();
    expect(read(path, 'SELECT key, value FROM results ORDER BY key')).toEqual([
      { key: 'a', value: '10' },
      { key: 'b', value: '2' },
    ]);
    await (await createSqliteSink(path)).close();
    expect(read(path, 'SELECT key FROM results')).toEqual([]);
    const error = await rejectionOf(createSqliteSink(path, { mode: 'create' }));
    expect(AdapterError.isInstance(error) && error.code).toBe('sqlite-schema-mismatch');
  });

  it('refuses a table with another schema and leaves it untouched', async () => {
    const path = await databaseWithItems();
    const error = await rejectionOf(createSqliteSink(path, { table: 'items' }));
    expect(AdapterError.isInstance(error) && error.code).toBe('sqlite-schema-mismatch');
    expect(read(path, 'SELECT id FROM items')).toHaveLength(2);
  });

  it('commits every commitEveryRows results and after commitIntervalMs, before close', async () => {
    const path = await databaseWithItems();
    const sink = await createSqliteSink(path, { commitEveryRows: 2, commitIntervalMs: 20 });
    await sink.write(result({ key: 'a' }));
    await sink.write(result({ key: 'b' }));
    expect(read(path, 'SELECT key FROM results ORDER BY key')).toEqual([{ key: 'a' }, { key: 'b' }]);
    await sink.write(result({ key: 'c' }));
    await vi.waitFor(() => expect(read(path, 'SELECT key FROM results')).toHaveLength(3), { timeout: 5000 });
    await sink.close();
  });

  it('goes through the path guard', async () => {
    const dir = await tempDir();
    const error = await rejectionOf(createSqliteSink('../escape.sqlite', { root: dir }));
    expect(AdapterError.isInstance(error) && error.code).toBe('path-outside-root');
  });
});
