import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { collect, rejectionOf, tempDir } from '../test-support/fixtures.js';
import { createSqliteSource } from './sqlite-source.js';

async function shop(): Promise<{ dir: string; path: string }> {
  const dir = await tempDir();
  const path = join(dir, 'shop.sqlite');
  const database = new DatabaseSync(path);
  database.exec(`
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);
    INSERT INTO items (name, price) VALUES ('apple', 1.5), ('pear', 2), ('plum', NULL);
    CREATE TABLE "odd ""name""" (x TEXT);
    INSERT INTO "odd ""name""" VALUES ('ok');
    PRAGMA user_version = 7;
  `);
  database.close();
  return { dir, path };
}

/** Reads the database back with a separate connection: the data the attacks must leave intact. */
function snapshot(path: string) {
  const database = new DatabaseSync(path, { readOnly: true });
  try {
    return {
      items: database.prepare('SELECT id, name, price FROM items ORDER BY id').all(),
      userVersion: database.prepare('PRAGMA user_version').get()?.user_version,
      tables: database.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all(),
    };
  } finally {
    database.close();
  }
}

async function rejection(path: string, query: string, dir?: string) {
  const error = await rejectionOf(collect(createSqliteSource(path, { query })));
  if (!AdapterError.isInstance(error)) throw error;
  if (dir !== undefined) expect(existsSync(join(dir, 'attached.sqlite'))).toBe(false);
  return error;
}

describe('createSqliteSource', () => {
  it('reads a whole table, quoting its name, with the column names', async () => {
    const { path } = await shop();
    const source = createSqliteSource(path, { table: 'items' });
    expect(await collect(source)).toEqual([
      { id: 1, name: 'apple', price: 1.5 },
      { id: 2, name: 'pear', price: 2 },
      { id: 3, name: 'plum', price: null },
    ]);
    expect(source.columns).toEqual(['id', 'name', 'price']);
    expect(await collect(createSqliteSource(path, { table: 'odd "name"' }))).toEqual([{ x: 'ok' }]);
  });

  it('runs a SELECT with bound positional and named parameters', async () => {
    const { path } = await shop();
    const named = createSqliteSource(path, {
      query: 'SELECT name FROM items WHERE price >= :min ORDER BY id',
      parameters: { min: 2 },
    });
    expect(await collect(named)).toEqual([{ name: 'pear' }]);
    const positional = createSqliteSource(path, {
      query: 'WITH cheap AS (SELECT * FROM items WHERE price < ?) SELECT name FROM cheap;  -- done',
      parameters: [2],
    });
    expect(await collect(positional)).toEqual([{ name: 'apple' }]);
  });

  it('treats a parameter holding SQL as a plain value', async () => {
    const { path } = await shop();
    const source = createSqliteSource(path, {
      query: 'SELECT id FROM items WHERE name = ?',
      parameters: ["apple'; DROP TABLE items; --"],
    });
    expect(await collect(source)).toEqual([]);
    expect(snapshot(path).items).toHaveLength(3);
  });

  it('names a missing table and lists the known ones; a table name cannot inject SQL', async () => {
    const { path } = await shop();
    const before = snapshot(path);
    for (const table of ['missing', 'items; DROP TABLE items', 'items" ; DROP TABLE items; --']) {
      const error = await rejectionOf(collect(createSqliteSource(path, { table })));
      expect(AdapterError.isInstance(error) && error.code).toBe('sqlite-table-not-found');
    }
    const error = await rejectionOf(collect(createSqliteSource(path, { table: 'missing' })));
    expect(AdapterError.isInstance(error) && error.details?.known).toEqual(['items', 'odd "name"']);
    expect(snapshot(path)).toEqual(before);
  });

  it('rejects query=DROP TABLE before it runs', async () => {
    const { path } = await shop();
    const before = snapshot(path);
    const error = await rejection(path, 'DROP TABLE items');
    expect(error.code).toBe('sqlite-query-rejected');
    expect(error.details?.denied).toMatch(/^SQLITE_DELETE|^SQLITE_DROP_TABLE/);
    expect(snapshot(path)).toEqual(before);
  });

  it('rejects "SELECT 1; DELETE ..." (a second statement), even behind comments', async () => {
    const { path } = await shop();
    const before = snapshot(path);
    for (const query of [
      'SELECT 1; DELETE FROM items',
      'SELECT 1; /* x */ DELETE FROM items',
      'SELECT 1;;SELECT 2',
    ]) {
      const error = await rejection(path, query);
      expect(error.code).toBe('sqlite-query-rejected');
      expect(error.message).toBe('SQLite query rejected: only one statement is allowed');
    }
    expect(snapshot(path)).toEqual(before);
  });

  it('rejects ATTACH DATABASE, so no file is opened or created', async () => {
    const { dir, path } = await shop();
    const error = await rejection(path, `ATTACH DATABASE '${join(dir, 'attached.sqlite')}' AS other`, dir);
    expect(error.code).toBe('sqlite-query-rejected');
    expect(error.details?.denied).toBe(`SQLITE_ATTACH ${join(dir, 'attached.sqlite')}`);
  });

  it('rejects pragma writes and reads, leaving the database settings unchanged', async () => {
    const { path } = await shop();
    const before = snapshot(path);
    for (const query of ['PRAGMA user_version = 99', 'PRAGMA journal_mode = OFF', 'PRAGMA user_version']) {
      const error = await rejection(path, query);
      expect(error.code).toBe('sqlite-query-rejected');
      expect(error.details?.denied).toMatch(/^SQLITE_PRAGMA /);
    }
    expect(snapshot(path)).toEqual(before);
    expect(before.userVersion).toBe(7);
  });

  it('rejects a write hidden behind WITH, VACUUM INTO, transactions and load_extension', async () => {
    const { dir, path } = await shop();
    const before = snapshot(path);
    const copy = join(dir, 'copy.sqlite');
    const cases: Array<[string, string]> = [
      [
        'WITH x AS (SELECT 1) DELETE FROM items',
        'SQLite query rejected: it is not read-only (SQLITE_DELETE items is not allowed)',
      ],
      [
        'INSERT INTO items (name) VALUES (1)',
        'SQLite query rejected: it is not read-only (SQLITE_INSERT items is not allowed)',
      ],
      [`VACUUM INTO '${copy}'`, 'SQLite query rejected: only a SELECT statement is allowed'],
      [
        'BEGIN IMMEDIATE',
        'SQLite query rejected: it is not read-only (SQLITE_TRANSACTION BEGIN is not allowed)',
      ],
      [
        "SELECT load_extension('/tmp/evil')",
        'SQLite query rejected: it is not read-only (SQLITE_FUNCTION load_extension is not allowed)',
      ],
    ];
    for (const [query, message] of cases) {
      const error = await rejection(path, query);
      expect(error.code).toBe('sqlite-query-rejected');
      expect(error.message).toBe(message);
    }
    expect(existsSync(copy)).toBe(false);
    expect(snapshot(path)).toEqual(before);
  });

  it('opens the database read-only: the file bytes are unchanged after a read', async () => {
    const { path } = await shop();
    const bytes = readFileSync(path);
    await collect(createSqliteSource(path, { query: 'SELECT * FROM items' }));
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('reports a syntax error as a rejected query, and validates options', async () => {
    const { path } = await shop();
    const error = await rejection(path, 'SELEC * FROM items');
    expect(error.code).toBe('sqlite-query-rejected');
    expect(() => createSqliteSource(path, { table: 'items', query: 'SELECT 1' })).toThrow(
      expect.objectContaining({ code: 'invalid-options' }),
    );
    expect(() => createSqliteSource(path, {})).toThrow(expect.objectContaining({ code: 'invalid-options' }));
  });

  it('stops early without error when the loop breaks, and goes through the path guard', async () => {
    const { dir, path } = await shop();
    for await (const row of createSqliteSource(path, { table: 'items' })) {
      expect(row.name).toBe('apple');
      break;
    }
    await mkdir(join(dir, 'sub'));
    const root = join(dir, 'sub');
    const error = await rejectionOf(collect(createSqliteSource('../shop.sqlite', { root, table: 'items' })));
    expect(AdapterError.isInstance(error) && error.code).toBe('path-outside-root');
    const outside = await rejectionOf(
      collect(createSqliteSource('/etc/passwd', { root: dir, table: 'items' })),
    );
    expect(AdapterError.isInstance(outside) && outside.code).toBe('path-outside-root');
  });
});
