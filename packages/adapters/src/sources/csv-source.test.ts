import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { collect, openDescriptors, rejectionOf, tempDir, writeIn } from '../test-support/fixtures.js';
import { createCsvSource, createTsvSource } from './csv-source.js';

function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const body = Buffer.from(text, 'utf16le');
  if (endian === 'be') body.swap16();
  return Buffer.concat([Buffer.from(endian === 'le' ? [0xff, 0xfe] : [0xfe, 0xff]), body]);
}

async function csvFile(content: string | Uint8Array, name = 'data.csv'): Promise<string> {
  return writeIn(await tempDir(), name, content);
}

describe('createCsvSource', () => {
  it('reads a header row and quoted fields holding delimiters, quotes and line breaks, as strings', async () => {
    const path = await csvFile('id,text,n\n1,"a, b",7\n2,"say ""hi""\nsecond line",8\n');
    const source = createCsvSource(path);
    expect(await collect(source)).toEqual([
      { id: '1', text: 'a, b', n: '7' },
      { id: '2', text: 'say "hi"\nsecond line', n: '8' },
    ]);
    expect(source.columns).toEqual(['id', 'text', 'n']);
    expect(source.delimiter).toBe(',');
    expect(source.report.recordsRead).toBe(2);
    expect(source.report.linesRead).toBe(4);
  });

  it('removes a UTF-8 BOM, reads CRLF files and ignores empty lines', async () => {
    const path = await csvFile('\uFEFFid,name\r\n\r\n1,Ann\r\n\r\n2,Bob\r\n');
    expect(await collect(createCsvSource(path))).toEqual([
      { id: '1', name: 'Ann' },
      { id: '2', name: 'Bob' },
    ]);
  });

  it('decodes UTF-16LE and UTF-16BE files with a byte order mark', async () => {
    const text = 'id,word\n1,café\n2,日本\n';
    for (const endian of ['le', 'be'] as const) {
      expect(await collect(createCsvSource(await csvFile(utf16(text, endian))))).toEqual([
        { id: '1', word: 'café' },
        { id: '2', word: '日本' },
      ]);
    }
  });

  it('throws an encoding error for bytes that are not UTF-8', async () => {
    const path = await csvFile(Buffer.from([0x61, 0x0a, 0xc3, 0x28, 0x0a]));
    const error = await rejectionOf(collect(createCsvSource(path)));
    expect(AdapterError.isInstance(error) && error.code).toBe('encoding');
  });

  it('names the line of a ragged row, counting line breaks inside quoted fields', async () => {
    const path = await csvFile('id,text\n1,"two\nlines"\n2,ok\n3,too,many\n');
    const error = await rejectionOf(collect(createCsvSource(path)));
    expect(AdapterError.isInstance(error) && error.code).toBe('ragged-row');
    expect(AdapterError.isInstance(error) && error.details).toEqual({ line: 5, fields: 3, expected: 2 });
    expect(error instanceof Error && error.message).toBe(`${path}: line 5 has 3 fields, the header has 2`);
  });

  it('skips ragged rows and reports them with raggedRows: skip', async () => {
    const source = createCsvSource(await csvFile('a,b\n1,2\n3\n4,5\n'), { raggedRows: 'skip' });
    expect(await collect(source)).toEqual([
      { a: '1', b: '2' },
      { a: '4', b: '5' },
    ]);
    expect(source.report.skippedCount).toBe(1);
    expect(source.report.skipped).toEqual([
      { line: 3, code: 'ragged-row', message: expect.stringContaining('line 3 has 1 fields') },
    ]);
  });

  it('pads short rows and drops (and reports) extra fields with raggedRows: pad', async () => {
    const source = createCsvSource(await csvFile('a,b\n1\n2,3,4\n'), { raggedRows: 'pad' });
    expect(await collect(source)).toEqual([
      { a: '1', b: '' },
      { a: '2', b: '3' },
    ]);
    expect(source.report.skipped.map((item) => item.line)).toEqual([3]);
  });

  it('detects a semicolon delimiter, honours an explicit one, and reads TSV', async () => {
    const semicolons = createCsvSource(await csvFile('a;b\n1;2\n'));
    expect(await collect(semicolons)).toEqual([{ a: '1', b: '2' }]);
    expect(semicolons.delimiter).toBe(';');
    expect(await collect(createCsvSource(await csvFile('a|b\n1|2\n'), { delimiter: '|' }))).toEqual([
      { a: '1', b: '2' },
    ]);
    const tsv = createTsvSource(await csvFile('a\tb\n1,5\t2\n', 'data.tsv'));
    expect(await collect(tsv)).toEqual([{ a: '1,5', b: '2' }]);
    expect(tsv.format).toBe('tsv');
  });

  it('infers types only when asked, keeping leading zeros and huge integers as strings', async () => {
    const path = await csvFile('a,b,c,d,e,f\n007,1.5,TRUE,,-3,9007199254740993\n');
    expect(await collect(createCsvSource(path))).toEqual([
      { a: '007', b: '1.5', c: 'TRUE', d: '', e: '-3', f: '9007199254740993' },
    ]);
    expect(await collect(createCsvSource(path, { inferTypes: true }))).toEqual([
      { a: '007', b: 1.5, c: true, d: null, e: -3, f: '9007199254740993' },
    ]);
  });

  it('selects columns in the given order and names an unknown one', async () => {
    const path = await csvFile('id,text,extra\n1,hello,x\n');
    const source = createCsvSource(path, { columns: ['text', 'id'] });
    expect(await collect(source)).toEqual([{ text: 'hello', id: '1' }]);
    expect(source.columns).toEqual(['text', 'id']);
    const error = await rejectionOf(collect(createCsvSource(path, { columns: ['missing'] })));
    expect(AdapterError.isInstance(error) && error.code).toBe('unknown-column');
    expect(AdapterError.isInstance(error) && error.details?.known).toEqual(['id', 'text', 'extra']);
  });

  it('names empty and repeated header cells so no column is lost', async () => {
    const source = createCsvSource(await csvFile('x,,x,x\n1,2,3,4\n'));
    expect(await collect(source)).toEqual([{ x: '1', column_2: '2', x_2: '3', x_3: '4' }]);
  });

  it('keeps a "__proto__" column as plain data without touching any prototype', async () => {
    const [row] = await collect(createCsvSource(await csvFile('__proto__,polluted\n{},yes\n')));
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row ?? {})).toEqual(['__proto__', 'polluted']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports an unterminated quote as a parse error naming its line, or skips it', async () => {
    const path = await csvFile('a,b\n1,2\n3,"open\n4,5\n');
    const error = await rejectionOf(collect(createCsvSource(path)));
    expect(AdapterError.isInstance(error) && error.code).toBe('parse');
    expect(AdapterError.isInstance(error) && error.details?.line).toBe(3);
    const source = createCsvSource(path, { invalidRecords: 'skip' });
    expect(await collect(source)).toEqual([{ a: '1', b: '2' }]);
    expect(source.report.skipped[0]?.line).toBe(3);
  });

  it('stops a record that grows past maxRecordLength instead of buffering the file', async () => {
    const path = await csvFile(`a,b\n1,"${'x'.repeat(300_000)}`);
    const error = await rejectionOf(collect(createCsvSource(path, { maxRecordLength: 100_000 })));
    expect(AdapterError.isInstance(error) && error.code).toBe('record-too-large');
    expect(AdapterError.isInstance(error) && error.details?.line).toBe(2);
  });

  it('streams: the first row arrives after reading only the first chunks of a long input', async () => {
    let pulled = 0;
    const row = `${'y'.repeat(60)},z\n`;
    const chunk = new TextEncoder().encode(row.repeat(1000));
    const input = async function* () {
      yield new TextEncoder().encode('a,b\n');
      for (let i = 0; i < 10_000; i += 1) {
        pulled += 1;
        yield chunk;
      }
    };
    for await (const record of createCsvSource(input)) {
      expect(record).toEqual({ a: 'y'.repeat(60), b: 'z' });
      break;
    }
    expect(pulled).toBeLessThanOrEqual(4);
  });

  it('closes the file when the loop breaks early and reads again from the start on the next loop', async () => {
    const path = await csvFile(`n\n${Array.from({ length: 20_000 }, (_, i) => i).join('\n')}\n`);
    const source = createCsvSource(path);
    const before = await openDescriptors();
    for await (const _ of source) break;
    expect(await openDescriptors()).toBe(before);
    expect((await collect(source)).length).toBe(20_000);
    expect(source.report.recordsRead).toBe(20_000);
  });

  it('refuses to read a one-shot stream twice', async () => {
    const source = createCsvSource(
      (async function* () {
        yield new TextEncoder().encode('a\n1\n');
      })(),
    );
    expect(await collect(source)).toEqual([{ a: '1' }]);
    const error = await rejectionOf(collect(source));
    expect(AdapterError.isInstance(error) && error.code).toBe('already-consumed');
  });

  it('yields nothing for an empty file and validates options', async () => {
    const source = createCsvSource(await csvFile(''));
    expect(await collect(source)).toEqual([]);
    expect(source.columns).toEqual([]);
    expect(() => createCsvSource('x.csv', { raggedRows: 'drop' as 'skip' })).toThrow(
      expect.objectContaining({ code: 'invalid-options' }),
    );
  });
});

describe('createCsvSource with large files and odd headers', () => {
  it('reads a record far longer than a read chunk in one piece, and the rows after it', async () => {
    const long = 'y'.repeat(3_000_000);
    const path = await csvFile(`id,text\n1,"${long}"\n2,short\n`);
    const rows = await collect(createCsvSource(path));
    expect(rows).toHaveLength(2);
    expect(rows[0]?.text).toBe(long);
    expect(rows[1]).toEqual({ id: '2', text: 'short' });
  });

  it('keeps a column named __proto__ as a plain own field, not as the prototype', async () => {
    const path = await csvFile('__proto__,name\nx,a\n');
    const [row] = await collect(createCsvSource(path));
    expect(Object.hasOwn(row ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(row?.name).toBe('a');
  });
});
