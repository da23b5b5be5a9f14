import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { createCsvSink } from '../sinks/csv-sink.js';
import { createJsonlSink } from '../sinks/jsonl-sink.js';
import { createSqliteSink } from '../sinks/sqlite-sink.js';
import { rejectionOf, result, tempDir } from '../test-support/fixtures.js';
import { readResumeState } from './read-resume-state.js';

describe('readResumeState', () => {
  it('reads JSONL keys with their last status and cuts a torn last line, so appending is safe', async () => {
    const path = join(await tempDir(), 'out.jsonl');
    const sink = await createJsonlSink(path);
    await sink.write(result({ key: 'a', status: 'error', value: undefined }));
    await sink.write(result({ key: 'b' }));
    await sink.write(result({ key: 'a' }));
    await sink.close();
    const intactSize = (await stat(path)).size;
    const torn = '{"key":"c","index":3,"sta';
    await writeFile(path, torn, { flag: 'a' });

    const state = await readResumeState(path);
    expect(state.keys).toEqual(
      new Map([
        ['a', 'ok'],
        ['b', 'ok'],
      ]),
    );
    expect(state.truncatedBytes).toBe(torn.length);
    expect((await stat(path)).size).toBe(intactSize);

    const resumed = await createJsonlSink(path, { mode: 'append' });
    await resumed.write(result({ key: 'c', index: 3 }));
    await resumed.close();
    const keys = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).key);
    expect(keys).toEqual(['a', 'b', 'a', 'c']);
  });

  it('reports a damaged line in the middle instead of guessing', async () => {
    const path = join(await tempDir(), 'out.jsonl');
    await writeFile(path, '{"key":"a","status":"ok"}\n{"key":\n{"key":"b","status":"ok"}\n');
    const error = await rejectionOf(readResumeState(path));
    expect(AdapterError.isInstance(error) && error.code).toBe('parse');
    expect(AdapterError.isInstance(error) && error.details?.line).toBe(2);
  });

  it('reads CSV keys (restoring neutralised ones) and cuts a record torn inside a quoted field', async () => {
    const path = join(await tempDir(), 'out.csv');
    const sink = await createCsvSink(path);
    await sink.write(result({ key: '=1+1', value: { note: 'two\nlines' } }));
    await sink.write(result({ key: 'b', status: 'error', value: undefined }));
    await sink.close();
    const torn = 'c,2,ok,"half\nwritten';
    await writeFile(path, torn, { flag: 'a' });
    const state = await readResumeState(path);
    expect(state.keys).toEqual(
      new Map([
        ['=1+1', 'ok'],
        ['b', 'error'],
      ]),
    );
    expect(state.truncatedBytes).toBe(Buffer.byteLength(torn));
  });

  it('reads SQLite keys, from the default or a named table', async () => {
    const path = join(await tempDir(), 'out.sqlite');
    const sink = await createSqliteSink(path, { table: 'run 1' });
    await sink.write(result({ key: 'a' }));
    await sink.write(result({ key: 'b', status: 'error' }));
    await sink.close();
    expect((await readResumeState(`sqlite:${path}?table=run%201`)).keys).toEqual(
      new Map([
        ['a', 'ok'],
        ['b', 'error'],
      ]),
    );
    expect((await readResumeState(path, { table: 'run 1' })).keys.size).toBe(2);
    expect((await readResumeState(path)).keys.size).toBe(0);
  });

  it('treats a missing output as empty and does not create it', async () => {
    const dir = await tempDir();
    for (const name of ['none.jsonl', 'none.csv', 'none.sqlite']) {
      expect(await readResumeState(join(dir, name))).toEqual({ keys: new Map(), truncatedBytes: 0 });
      expect(existsSync(join(dir, name))).toBe(false);
    }
  });

  it('refuses JSON and stdout, which cannot be resumed, and respects the root', async () => {
    const dir = await tempDir();
    for (const location of [join(dir, 'out.json'), '-']) {
      const error = await rejectionOf(readResumeState(location));
      expect(AdapterError.isInstance(error) && error.code).toBe('append-unsupported');
    }
    const outside = await rejectionOf(readResumeState('../out.jsonl', { root: dir }));
    expect(AdapterError.isInstance(outside) && outside.code).toBe('path-outside-root');
  });
});
