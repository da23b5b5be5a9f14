import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonValue } from '@llmbatch/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdapterError } from './errors.js';
import { neutralizeFormula } from './internal/csv-cells.js';
import { createCsvSink } from './sinks/csv-sink.js';
import { createJsonlSink } from './sinks/jsonl-sink.js';
import { toResultRecord } from './sinks/sink.js';
import { createCsvSource } from './sources/csv-source.js';
import { createJsonlSource } from './sources/jsonl-source.js';
import type { Source } from './sources/source.js';
import { collect, result, tempDir } from './test-support/fixtures.js';

/** Reads `source` to the end: it either yields records or throws an AdapterError, never anything else. */
async function readsOrFailsCleanly(source: Source): Promise<void> {
  try {
    const records = await collect(source);
    for (const record of records) expect(typeof record).toBe('object');
  } catch (error) {
    if (!AdapterError.isInstance(error)) throw error;
  }
}

function bytes(value: Uint8Array): () => AsyncIterable<Uint8Array> {
  return async function* () {
    // Split in two so chunk boundaries fall inside characters and records too.
    const middle = Math.floor(value.length / 2);
    yield value.subarray(0, middle);
    yield value.subarray(middle);
  };
}

/** Text built from the characters that break CSV and JSONL readers. */
const hostileText = fc
  .array(
    fc.constantFrom(
      ',',
      ';',
      '\t',
      '"',
      "'",
      '\n',
      '\r',
      '\r\n',
      ' ',
      '=',
      '+',
      '-',
      '@',
      'a',
      'Z',
      '1',
      'é',
      '日',
      '😀',
      '\uFEFF',
      '{',
      '}',
      '[',
      ']',
      ':',
      '\\',
    ),
    { maxLength: 200 },
  )
  .map((parts) => parts.join(''));

const options = { numRuns: 150 };

describe('fuzzing the readers', () => {
  it('CSV: random bytes and hostile text never crash, whatever the options', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          hostileText.map((text) => new TextEncoder().encode(text)),
        ),
        fc.constantFrom('error', 'skip', 'pad'),
        fc.constantFrom('error', 'skip'),
        fc.boolean(),
        async (input, raggedRows, invalidRecords, inferTypes) => {
          await readsOrFailsCleanly(
            createCsvSource(bytes(input), { raggedRows, invalidRecords, inferTypes, maxRecordLength: 300 }),
          );
        },
      ),
      options,
    );
  });

  it('JSONL: random bytes and hostile text never crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          hostileText.map((text) => new TextEncoder().encode(text)),
        ),
        fc.constantFrom('error', 'skip'),
        async (input, invalidRecords) => {
          await readsOrFailsCleanly(
            createJsonlSource(bytes(input), { invalidRecords, maxRecordLength: 300 }),
          );
        },
      ),
      options,
    );
  });
});

describe('round trips through the writers and readers', () => {
  const cell = fc.oneof(hostileText, fc.string({ unit: 'grapheme', maxLength: 30 }));
  const rows = fc.uniqueArray(fc.record({ key: cell, value: cell }), {
    selector: (row) => row.key,
    maxLength: 25,
  });

  it('CSV keeps every key and value exactly with neutralizeFormulas: false', async () => {
    const dir = await tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(rows, async (items) => {
        run += 1;
        const path = join(dir, `round-${run}.csv`);
        const sink = await createCsvSink(path, { valueColumns: 'json', neutralizeFormulas: false });
        for (const [index, item] of items.entries()) await sink.write(result({ ...item, index }));
        await sink.close();
        const back = await collect(createCsvSource(path, { columns: ['key', 'value'] }));
        expect(back).toEqual(items);
      }),
      options,
    );
  });

  it('CSV with neutralisation reads back each cell as written or with one leading quote, never as a formula', async () => {
    const dir = await tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(rows, async (items) => {
        run += 1;
        const path = join(dir, `safe-${run}.csv`);
        const sink = await createCsvSink(path, { valueColumns: 'json' });
        for (const [index, item] of items.entries()) await sink.write(result({ ...item, index }));
        await sink.close();
        const back = await collect(createCsvSource(path, { columns: ['key', 'value'] }));
        expect(back).toEqual(
          items.map((item) => ({ key: neutralizeFormula(item.key), value: neutralizeFormula(item.value) })),
        );
        for (const row of back) {
          for (const text of Object.values(row)) {
            if (/^[=+\-@\t\r]/.test(String(text))) expect(String(text)).toMatch(/^-\d/);
          }
        }
      }),
      options,
    );
  });

  it('JSONL keeps every result field, including any JSON output value', async () => {
    const dir = await tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: cell,
            value: fc.jsonValue({ maxDepth: 3 }).map((value) => value as JsonValue),
            raw: cell,
          }),
          { maxLength: 15 },
        ),
        async (items) => {
          run += 1;
          const path = join(dir, `round-${run}.jsonl`);
          const sink = await createJsonlSink(path);
          const written = items.map((item, index) => result({ ...item, index }));
          for (const item of written) await sink.write(item);
          await sink.close();
          const expected = written.map((item) => JSON.parse(JSON.stringify(toResultRecord(item, true))));
          expect(await collect(createJsonlSource(path))).toEqual(expected);
          expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(items.length + 1);
        },
      ),
      options,
    );
  });
});
