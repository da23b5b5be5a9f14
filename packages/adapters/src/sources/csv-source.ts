import * as z from 'zod';
import { AdapterError } from '../errors.js';
import { parseCsvRows } from '../internal/csv-parse.js';
import { inferType, nameColumns, selectColumns } from '../internal/csv-rows.js';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import { type ByteInput, decodeText, inputOpener } from '../internal/text.js';
import { createPathGuard } from '../path-guard.js';
import { createSource, defaultMaxRecordLength, type Source, type TextSourceOptions } from './source.js';

/**
 * Options of {@link createCsvSource} and {@link createTsvSource}.
 *
 * @example
 * ```ts
 * createCsvSource('data.csv', { delimiter: ';', inferTypes: true, raggedRows: 'pad' });
 * ```
 */
export interface CsvSourceOptions extends TextSourceOptions {
  /** Field delimiter. @default detected from the first 64 KB (`,` `\t` `|` `;`); `\t` for TSV */
  delimiter?: string;
  /**
   * A row whose field count differs from the header's: throw `ragged-row` naming the line (`error`), leave
   * it out and report it (`skip`), or fill missing fields with `''` and drop (and report) extra ones (`pad`).
   * @default 'error'
   */
  raggedRows?: 'error' | 'skip' | 'pad';
  /** Turn `''` into `null`, `true`/`false` into booleans and plain decimal numbers into numbers. @default false (all strings) */
  inferTypes?: boolean;
  /** Only these columns (header names), in this order. @default every column */
  columns?: readonly string[];
}

const schema = z
  .object({
    root: sharedSchemas.root,
    encoding: sharedSchemas.encoding,
    maxRecordLength: sharedSchemas.maxRecordLength,
    invalidRecords: sharedSchemas.invalidRecords,
    maxReportedIssues: sharedSchemas.maxReportedIssues,
    delimiter: z
      .string()
      .min(1)
      .refine((value) => !/["\r\n]/.test(value), 'a delimiter cannot contain a quote or a line break')
      .optional(),
    raggedRows: z.enum(['error', 'skip', 'pad']).optional(),
    inferTypes: z.boolean().optional(),
    columns: z.array(z.string()).min(1).readonly().optional(),
  })
  .strict();

/**
 * A CSV source that also tells which delimiter it used.
 *
 * @example
 * ```ts
 * const source = createCsvSource('data.csv');
 * for await (const _ of source) break;
 * console.log(source.delimiter, source.columns);
 * ```
 */
export interface CsvSource extends Source {
  /** The delimiter in use: the option, or the detected one once the first chunk is read. */
  readonly delimiter: string | undefined;
}

function create(
  format: 'csv' | 'tsv',
  input: ByteInput,
  options: CsvSourceOptions,
  factory: string,
): CsvSource {
  const parsed = parseOptions(factory, schema, options);
  const open = inputOpener(input, createPathGuard({ root: parsed.root }));
  const invalid = parsed.invalidRecords ?? 'error';
  const ragged = parsed.raggedRows ?? 'error';
  const convert = parsed.inferTypes === true ? inferType : (value: string) => value;
  let delimiter = parsed.delimiter ?? (format === 'tsv' ? '\t' : undefined);

  const source = createSource(format, parsed.maxReportedIssues ?? 100, async function* read(state) {
    const opened = await open();
    const name = opened.name;
    let header: string[] | undefined;
    let selected: number[] = [];
    let build: (cells: readonly string[]) => Record<string, unknown> = () => ({});
    try {
      const text = decodeText(opened.chunks, parsed.encoding ?? 'auto', name);
      const batches = parseCsvRows(
        text,
        { delimiter, maxRecordLength: parsed.maxRecordLength ?? defaultMaxRecordLength, name },
        (detected) => {
          delimiter = detected;
        },
      );
      for await (const { rows, lines, errors } of batches) {
        for (let position = 0; position < rows.length; position++) {
          const cells = rows[position] as string[];
          const line = lines[position] as number;
          state.report.linesRead = (lines[position + 1] as number) - 1;
          const error = errors?.get(position);
          if (error !== undefined) {
            const problem = new AdapterError({
              code: 'parse',
              message: `${name}: line ${line}: ${error}`,
              details: { line },
            });
            if (header === undefined) throw problem;
            state.reject(invalid, problem, { line });
            continue;
          }
          if (header === undefined) {
            header = nameColumns(cells);
            selected = selectColumns(header, parsed.columns, name);
            state.columns = selected.map((column) => (header as string[])[column] as string);
            build = recordBuilder(state.columns, selected, convert);
            continue;
          }
          if (cells.length === 1 && cells[0] === '') continue;
          if (cells.length !== header.length) {
            const problem = new AdapterError({
              code: 'ragged-row',
              message: `${name}: line ${line} has ${cells.length} fields, the header has ${header.length}`,
              details: { line, fields: cells.length, expected: header.length },
            });
            if (ragged !== 'pad') {
              state.reject(ragged, problem, { line });
              continue;
            }
            if (cells.length > header.length) state.reject('skip', problem, { line });
          }
          state.report.recordsRead += 1;
          yield build(cells);
        }
      }
      if (header === undefined) state.columns = [];
    } finally {
      await opened.close();
    }
  });

  return Object.defineProperties(source, {
    delimiter: { get: () => delimiter, enumerable: true },
  }) as CsvSource;
}

/**
 * Makes the function that turns a row's cells into a record with the selected columns, in order. Every
 * record gets the same properties in the same order, so they share one shape. A column named
 * `__proto__` is defined as an own property (as `Object.fromEntries` would), never set as the prototype.
 */
function recordBuilder(
  names: readonly string[],
  selected: readonly number[],
  convert: (value: string) => unknown,
): (cells: readonly string[]) => Record<string, unknown> {
  if (names.includes('__proto__')) {
    return (cells) =>
      Object.fromEntries(names.map((name, index) => [name, convert(cells[selected[index] as number] ?? '')]));
  }
  return (cells) => {
    const record: Record<string, unknown> = {};
    for (let index = 0; index < names.length; index++) {
      record[names[index] as string] = convert(cells[selected[index] as number] ?? '');
    }
    return record;
  };
}

/**
 * Reads a CSV file with a header row, streamed through papaparse. Quoted fields may hold delimiters,
 * quotes and line breaks; a byte order mark is removed; UTF-16 files with a byte order mark are decoded;
 * empty lines are ignored. Values are strings unless `inferTypes` is on. Errors name the 1-based line.
 *
 * @example
 * ```ts
 * const source = createCsvSource('reviews.csv', { columns: ['id', 'text'], raggedRows: 'skip' });
 * for await (const row of source) console.log(row.id, row.text);
 * console.log(source.columns, source.report.skippedCount);
 * ```
 */
export function createCsvSource(input: ByteInput, options: CsvSourceOptions = {}): CsvSource {
  return create('csv', input, options, 'createCsvSource');
}

/**
 * Reads a tab-separated file: {@link createCsvSource} with `delimiter: '\t'` unless another is given.
 *
 * @example
 * ```ts
 * for await (const row of createTsvSource('export.tsv', { inferTypes: true })) console.log(row);
 * ```
 */
export function createTsvSource(input: ByteInput, options: CsvSourceOptions = {}): CsvSource {
  return create('tsv', input, options, 'createTsvSource');
}
