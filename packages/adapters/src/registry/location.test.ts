import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { parseLocation } from './location.js';

function errorOf(run: () => unknown): AdapterError {
  try {
    run();
  } catch (error) {
    if (AdapterError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an AdapterError');
}

describe('parseLocation', () => {
  it('picks the format from the extension, case-insensitively', () => {
    expect(parseLocation('data.csv')).toEqual({
      kind: 'file',
      format: 'csv',
      path: 'data.csv',
      parameters: {},
    });
    expect(parseLocation('dir/Data.TSV').format).toBe('tsv');
    expect(parseLocation('x.ndjson').format).toBe('jsonl');
    expect(parseLocation('x.json').format).toBe('json');
    expect(parseLocation('x.db').format).toBe('sqlite');
    expect(parseLocation('C:\\data\\in.csv')).toMatchObject({
      kind: 'file',
      format: 'csv',
      path: 'C:\\data\\in.csv',
    });
  });

  it('reads file: locations, relative and as URLs, and lets a format override the extension', () => {
    expect(parseLocation('file:./x.tsv')).toEqual({
      kind: 'file',
      format: 'tsv',
      path: './x.tsv',
      parameters: {},
    });
    expect(parseLocation('file:///tmp/a%20b.csv')).toMatchObject({ format: 'csv', path: '/tmp/a b.csv' });
    expect(parseLocation('notes.txt', 'jsonl').format).toBe('jsonl');
    expect(parseLocation('-')).toEqual({ kind: 'stdio', format: 'jsonl', path: '', parameters: {} });
    expect(parseLocation('-', 'csv').format).toBe('csv');
  });

  it('reads sqlite: parameters, keeping + and decoding percent escapes', () => {
    expect(parseLocation('sqlite:./db.sqlite?table=items')).toEqual({
      kind: 'sqlite',
      format: 'sqlite',
      path: './db.sqlite',
      parameters: { table: 'items' },
    });
    expect(
      parseLocation('sqlite:db.sqlite?query=SELECT a+b AS s FROM t WHERE x = 1%26%262').parameters,
    ).toEqual({
      query: 'SELECT a+b AS s FROM t WHERE x = 1&&2',
    });
  });

  it('lists the known schemes and extensions for an unknown one', () => {
    const scheme = errorOf(() => parseLocation('s3://bucket/data.csv'));
    expect(scheme.code).toBe('unknown-scheme');
    expect(scheme.message).toBe(
      'Unknown scheme "s3:" in "s3://bucket/data.csv" (known: "-" (stdin/stdout, JSONL), file:, sqlite: and files ending in .csv, .tsv, .tab, .jsonl, .ndjson, .json, .sqlite, .sqlite3, .db)',
    );
    const extension = errorOf(() => parseLocation('data.xlsx'));
    expect(extension.code).toBe('unknown-scheme');
    expect(extension.details?.extensions).toContain('.csv');
  });

  it('refuses repeated parameters, bad escapes and empty paths', () => {
    expect(errorOf(() => parseLocation('sqlite:x.db?table=a&table=b')).code).toBe('invalid-options');
    expect(errorOf(() => parseLocation('sqlite:x.db?table=%E0%A4%A')).code).toBe('invalid-options');
    expect(errorOf(() => parseLocation('sqlite:?table=a')).code).toBe('invalid-path');
    expect(errorOf(() => parseLocation('')).code).toBe('invalid-path');
  });
});
