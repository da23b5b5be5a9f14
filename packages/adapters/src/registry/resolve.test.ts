import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { collect, rejectionOf, result, tempDir, writeIn } from '../test-support/fixtures.js';
import { resolveSink, resolveSource } from './resolve.js';

async function files() {
  const dir = await tempDir();
  await writeIn(dir, 'data.csv', 'id,text\n1,a\n');
  await writeIn(dir, 'data.tsv', 'id\ttext\n1\ta,b\n');
  await writeIn(dir, 'data.jsonl', '{"id":1}\n');
  await writeIn(dir, 'data.json', '[{"id":1}]');
  const database = new DatabaseSync(join(dir, 'db.sqlite'));
  database.exec("CREATE TABLE items (id INTEGER, text TEXT); INSERT INTO items VALUES (1, 'a'), (2, 'b');");
  database.close();
  return dir;
}

describe('resolveSource', () => {
  it('picks the adapter for each location form', async () => {
    const root = await files();
    const cases: Array<[string, string, unknown[]]> = [
      ['data.csv', 'csv', [{ id: '1', text: 'a' }]],
      ['file:./data.tsv', 'tsv', [{ id: '1', text: 'a,b' }]],
      ['data.jsonl', 'jsonl', [{ id: 1 }]],
      ['data.json', 'json', [{ id: 1 }]],
      [
        'sqlite:./db.sqlite?table=items',
        'sqlite',
        [
          { id: 1, text: 'a' },
          { id: 2, text: 'b' },
        ],
      ],
      ['sqlite:./db.sqlite?query=SELECT text FROM items WHERE id > ?&params=[1]', 'sqlite', [{ text: 'b' }]],
    ];
    for (const [location, format, records] of cases) {
      const source = await resolveSource(location, { root });
      expect(source.format).toBe(format);
      expect(await collect(source)).toEqual(records);
    }
  });

  it('passes typed options per format', async () => {
    const root = await files();
    const source = await resolveSource('data.csv', { root, csv: { inferTypes: true, columns: ['id'] } });
    expect(await collect(source)).toEqual([{ id: 1 }]);
    const sqlite = await resolveSource('sqlite:./db.sqlite', {
      root,
      sqlite: { query: 'SELECT id FROM items WHERE text = :t', parameters: { t: 'b' } },
    });
    expect(await collect(sqlite)).toEqual([{ id: 2 }]);
  });

  it('checks the path at once (outside the root, missing); a query attack fails on the first read, data intact', async () => {
    const root = await files();
    const outside = await rejectionOf(resolveSource('../../etc/passwd.csv', { root }));
    expect(AdapterError.isInstance(outside) && outside.code).toBe('path-outside-root');
    const missing = await rejectionOf(resolveSource('nope.csv', { root }));
    expect(AdapterError.isInstance(missing) && missing.code).toBe('not-found');
    const attack = await resolveSource('sqlite:./db.sqlite?query=DROP TABLE items', { root });
    const error = await rejectionOf(collect(attack));
    expect(AdapterError.isInstance(error) && error.code).toBe('sqlite-query-rejected');
    expect(await collect(await resolveSource('sqlite:./db.sqlite?table=items', { root }))).toHaveLength(2);
  });

  it('refuses conflicting or unknown SQLite parameters', async () => {
    const root = await files();
    const conflict = await rejectionOf(
      resolveSource('sqlite:./db.sqlite?table=items', { root, sqlite: { table: 'x' } }),
    );
    expect(AdapterError.isInstance(conflict) && conflict.code).toBe('invalid-options');
    const unknown = await rejectionOf(resolveSource('sqlite:./db.sqlite?tabel=items', { root }));
    expect(AdapterError.isInstance(unknown) && unknown.message).toContain('unknown parameter "tabel"');
    const badParams = await rejectionOf(
      resolveSource('sqlite:./db.sqlite?query=SELECT 1&params=1', { root }),
    );
    expect(AdapterError.isInstance(badParams) && badParams.code).toBe('invalid-options');
  });

  it('reads JSONL from the injected stdin for "-", unless standard streams are refused', async () => {
    const standardInput = (async function* () {
      yield Buffer.from('{"a":1}\n');
    })();
    expect(await collect(await resolveSource('-', { standardInput }))).toEqual([{ a: 1 }]);
    const refused = await rejectionOf(resolveSource('-', { allowStandardStreams: false }));
    expect(AdapterError.isInstance(refused) && refused.code).toBe('unknown-scheme');
  });
});

describe('resolveSink', () => {
  it('writes JSONL to the injected stdout for "-" without ending it', async () => {
    const chunks: string[] = [];
    const standardOutput = new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    });
    const sink = await resolveSink('-', { standardOutput });
    await sink.write(result({ key: 'k' }));
    await sink.close();
    expect(sink.format).toBe('jsonl');
    expect(JSON.parse(chunks.join('')).key).toBe('k');
    expect(standardOutput.writableEnded).toBe(false);
  });

  it('picks CSV, TSV, JSON and SQLite sinks, with the SQLite table from the location', async () => {
    const root = await tempDir();
    for (const [location, format] of [
      ['out.csv', 'csv'],
      ['out.tsv', 'csv'],
      ['out.json', 'json'],
      ['sqlite:./out.sqlite?table=run1', 'sqlite'],
    ] as const) {
      const sink = await resolveSink(location, { root });
      await sink.write(result());
      await sink.close();
      expect(sink.format).toBe(format);
    }
    expect((await readFile(join(root, 'out.tsv'), 'utf8')).startsWith('key\tindex\tstatus\t')).toBe(true);
    const database = new DatabaseSync(join(root, 'out.sqlite'), { readOnly: true });
    expect(database.prepare('SELECT key FROM run1').all()).toEqual([{ key: '0' }]);
    database.close();
  });

  it('refuses a sink outside the root and an unknown scheme', async () => {
    const root = await tempDir();
    const outside = await rejectionOf(resolveSink('../out.jsonl', { root }));
    expect(AdapterError.isInstance(outside) && outside.code).toBe('path-outside-root');
    const scheme = await rejectionOf(resolveSink('http://example.test/out.jsonl', { root }));
    expect(AdapterError.isInstance(scheme) && scheme.code).toBe('unknown-scheme');
  });
});
