import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { collect, rejectionOf, tempDir, writeIn } from '../test-support/fixtures.js';
import { createJsonSource } from './json-source.js';

async function jsonFile(content: string): Promise<string> {
  return writeIn(await tempDir(), 'data.json', content);
}

describe('createJsonSource', () => {
  it('streams the objects of a top-level array', async () => {
    const path = await jsonFile(' [ {"id":1,"nested":{"a":[1,2]}}, {"id":2} ]\n');
    expect(await collect(createJsonSource(path))).toEqual([{ id: 1, nested: { a: [1, 2] } }, { id: 2 }]);
  });

  it('yields the first elements before the rest of a long array is read', async () => {
    let pulled = 0;
    const element = new TextEncoder().encode(`${JSON.stringify({ text: 'x'.repeat(1000) })},`.repeat(60));
    const input = async function* () {
      yield new TextEncoder().encode('[');
      for (let i = 0; i < 10_000; i += 1) {
        pulled += 1;
        yield element;
      }
      yield new TextEncoder().encode('{}]');
    };
    for await (const record of createJsonSource(input)) {
      expect(record).toEqual({ text: 'x'.repeat(1000) });
      break;
    }
    expect(pulled).toBe(1);
  });

  it('refuses a top level that is not an array, and an empty file', async () => {
    for (const text of ['{"a":1}', '', '   ', '"text"']) {
      const error = await rejectionOf(collect(createJsonSource(await jsonFile(text))));
      expect(AdapterError.isInstance(error) && error.code).toBe('parse');
    }
  });

  it('reports malformed JSON after the elements that were valid', async () => {
    const source = createJsonSource(await jsonFile('[{"a":1},{"a":2},{"a":]'));
    const seen: unknown[] = [];
    const error = await rejectionOf(
      (async () => {
        for await (const record of source) seen.push(record);
      })(),
    );
    expect(seen).toEqual([{ a: 1 }, { a: 2 }]);
    expect(AdapterError.isInstance(error) && error.code).toBe('parse');
    expect(AdapterError.isInstance(error) && error.details?.index).toBe(2);
  });

  it('reports a truncated array and trailing content as parse errors', async () => {
    for (const text of ['[{"a":1}', '[{"a":1}] [2]']) {
      const error = await rejectionOf(collect(createJsonSource(await jsonFile(text))));
      expect(AdapterError.isInstance(error) && error.code).toBe('parse');
    }
  });

  it('rejects elements that are not objects, or skips them with invalidRecords: skip', async () => {
    const path = await jsonFile('[{"a":1}, 2, [3], null, {"a":4}]');
    const error = await rejectionOf(collect(createJsonSource(path)));
    expect(AdapterError.isInstance(error) && error.code).toBe('not-an-object');
    expect(AdapterError.isInstance(error) && error.details).toEqual({ index: 1 });
    const source = createJsonSource(path, { invalidRecords: 'skip' });
    expect(await collect(source)).toEqual([{ a: 1 }, { a: 4 }]);
    expect(source.report.skipped.map((item) => item.index)).toEqual([1, 2, 3]);
  });
});
