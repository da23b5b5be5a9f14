import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { collect, openDescriptors, rejectionOf, tempDir, writeIn } from '../test-support/fixtures.js';
import { createJsonlSource } from './jsonl-source.js';

async function jsonlFile(content: string | Uint8Array): Promise<string> {
  return writeIn(await tempDir(), 'data.jsonl', content);
}

describe('createJsonlSource', () => {
  it('reads one object per line, ignoring blank lines and CRLF endings', async () => {
    const source = createJsonlSource(await jsonlFile('{"id":1}\r\n\n   \n{"id":2,"tags":["a"]}\n'));
    expect(await collect(source)).toEqual([{ id: 1 }, { id: 2, tags: ['a'] }]);
    expect(source.report).toEqual({ recordsRead: 2, linesRead: 4, skippedCount: 0, skipped: [] });
  });

  it('reads a last line without a line break, and a BOM', async () => {
    expect(await collect(createJsonlSource(await jsonlFile('\uFEFF{"a":1}\n{"a":2}')))).toEqual([
      { a: 1 },
      { a: 2 },
    ]);
  });

  it('names the line of invalid JSON', async () => {
    const path = await jsonlFile('{"a":1}\n\n{"a":\n{"a":3}\n');
    const error = await rejectionOf(collect(createJsonlSource(path)));
    expect(AdapterError.isInstance(error) && error.code).toBe('parse');
    expect(AdapterError.isInstance(error) && error.details).toEqual({ line: 3 });
    expect(error instanceof Error && error.message).toMatch(new RegExp(`^${path}: line 3 is not valid JSON`));
  });

  it('rejects valid JSON that is not an object, naming the line', async () => {
    for (const line of ['[1,2]', '42', 'null', '"text"']) {
      const error = await rejectionOf(collect(createJsonlSource(await jsonlFile(`{"a":1}\n${line}\n`))));
      expect(AdapterError.isInstance(error) && error.code).toBe('not-an-object');
      expect(AdapterError.isInstance(error) && error.details?.line).toBe(2);
    }
  });

  it('skips bad lines and reports them with invalidRecords: skip', async () => {
    const source = createJsonlSource(await jsonlFile('{"a":1}\nnope\n[1]\n{"a":2}\n'), {
      invalidRecords: 'skip',
      maxReportedIssues: 1,
    });
    expect(await collect(source)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(source.report.skippedCount).toBe(2);
    expect(source.report.skipped).toEqual([
      { line: 2, code: 'parse', message: expect.stringContaining('line 2') },
    ]);
  });

  it('keeps a "__proto__" key as data', async () => {
    const [record] = await collect(createJsonlSource(await jsonlFile('{"__proto__":{"polluted":true}}\n')));
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stops at a line longer than maxRecordLength', async () => {
    const path = await jsonlFile(`{"a":1}\n{"b":"${'x'.repeat(200_000)}"}\n`);
    const error = await rejectionOf(collect(createJsonlSource(path, { maxRecordLength: 50_000 })));
    expect(AdapterError.isInstance(error) && error.code).toBe('record-too-large');
    expect(AdapterError.isInstance(error) && error.details?.line).toBe(2);
  });

  it('reads UTF-16LE with a BOM', async () => {
    const body = Buffer.from('{"w":"日本"}\n', 'utf16le');
    const path = await jsonlFile(Buffer.concat([Buffer.from([0xff, 0xfe]), body]));
    expect(await collect(createJsonlSource(path))).toEqual([{ w: '日本' }]);
  });

  it('reads from a stream such as stdin, and closes a file when the loop breaks', async () => {
    const stream = async function* () {
      yield Buffer.from('{"a":');
      yield Buffer.from('1}\n{"a":2}\n');
    };
    expect(await collect(createJsonlSource(stream))).toEqual([{ a: 1 }, { a: 2 }]);
    const path = await jsonlFile('{"a":1}\n'.repeat(100_000));
    const before = await openDescriptors();
    for await (const _ of createJsonlSource(path)) break;
    expect(await openDescriptors()).toBe(before);
  });
});
