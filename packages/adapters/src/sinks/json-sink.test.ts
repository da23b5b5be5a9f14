import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { rejectionOf, result, tempDir } from '../test-support/fixtures.js';
import { createJsonSink } from './json-sink.js';

const first = result({ key: 'a', index: 0 });
const second = result({ key: 'b', index: 1, status: 'error', value: undefined });

describe('createJsonSink', () => {
  it('writes a JSON array that parses once closed, and [] when empty', async () => {
    const dir = await tempDir();
    const sink = await createJsonSink(join(dir, 'out.json'));
    await sink.write(first);
    await sink.write(second);
    await sink.close();
    const parsed = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'));
    expect(parsed.map((item: { key: string }) => item.key)).toEqual(['a', 'b']);
    const empty = await createJsonSink(join(dir, 'empty.json'));
    await empty.close();
    expect(JSON.parse(await readFile(join(dir, 'empty.json'), 'utf8'))).toEqual([]);
  });

  it('refuses append mode', async () => {
    const error = await rejectionOf(createJsonSink(join(await tempDir(), 'out.json'), { mode: 'append' }));
    expect(AdapterError.isInstance(error) && error.code).toBe('append-unsupported');
  });
});
