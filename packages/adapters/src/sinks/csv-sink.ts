import type { FileHandle } from 'node:fs/promises';
import type { UnitResult } from '@llmbatch/core';
import Papa from 'papaparse';
import * as z from 'zod';
import { AdapterError } from '../errors.js';
import {
  flattenValue,
  leadingColumns,
  maxInferredColumns,
  neutralizeFormula,
  restColumn,
  restoreHeaderCell,
  resultCells,
  toCellText,
  trailingColumns,
} from '../internal/csv-cells.js';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import { openTextTarget } from '../internal/text-target.js';
import { cutTornCsvRecord } from '../internal/torn-tail.js';
import {
  type FileSinkOptions,
  finishSink,
  type Sink,
  type SinkTarget,
  type StreamSinkOptions,
} from './sink.js';

/**
 * Options of {@link createCsvSink}.
 *
 * @example
 * ```ts
 * await createCsvSink('out.csv', { valueColumns: ['label', 'score'], includeRaw: true });
 * ```
 */
export interface CsvSinkOptions extends FileSinkOptions, StreamSinkOptions {
  /**
   * Output columns. `auto`: when the first result with an output has an object, one column per (nested,
   * dotted) field, named `value.<field>`, plus `value.*` holding any other fields as JSON; otherwise one
   * `value` column. `json`: one `value` column (strings as they are, other values as JSON). A list of
   * dotted field paths: those columns plus `value.*`.
   * @default 'auto'
   */
  valueColumns?: 'auto' | 'json' | readonly string[];
  /** Prefix a `'` to cells starting with `=`, `+`, `-`, `@`, tab or CR, so spreadsheets never run them. @default true */
  neutralizeFormulas?: boolean;
  /** Add a `raw` column with the model's raw text. @default false */
  includeRaw?: boolean;
  /** Field delimiter. @default ',' */
  delimiter?: string;
  /** Start a new file with a UTF-8 byte order mark (helps Excel pick UTF-8). @default false */
  byteOrderMark?: boolean;
}

const schema = z
  .object({
    root: sharedSchemas.root,
    mode: sharedSchemas.sinkMode,
    endStream: z.boolean().optional(),
    valueColumns: z
      .union([z.enum(['auto', 'json']), z.array(z.string().min(1)).min(1).readonly()])
      .optional(),
    neutralizeFormulas: z.boolean().optional(),
    includeRaw: z.boolean().optional(),
    delimiter: z
      .string()
      .min(1)
      .refine((value) => !/["\r\n]/.test(value), 'a delimiter cannot contain a quote or a line break')
      .optional(),
    byteOrderMark: z.boolean().optional(),
  })
  .strict();

/** Results held back while `auto` waits for a result whose output shows the columns. */
const inferenceWindow = 1000;

/** Reads the header record of an existing CSV file (up to 1 MiB). */
async function readHeader(handle: FileHandle, delimiter: string): Promise<string[] | undefined> {
  const buffer = Buffer.alloc(1024 * 1024);
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
  if (bytesRead === 0) return undefined;
  const text = buffer
    .subarray(0, bytesRead)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const parsed = Papa.parse<string[]>(text, { delimiter, preview: 1, header: false });
  const cells = parsed.data[0];
  return cells === undefined ? undefined : cells.map(restoreHeaderCell);
}

/**
 * Writes results as CSV through papaparse (quoting is never hand-made): `key`, `index`, `status`, the
 * output columns, then `error_code`, `error_message`, `warnings`, `input_tokens`, `output_tokens`, `cost`,
 * `attempts`, `duration_ms` (and `raw`). Cells that a spreadsheet would run as formulas are neutralised
 * unless `neutralizeFormulas: false`. In `append` mode a torn last record is cut and the existing header
 * decides the columns.
 *
 * @example
 * ```ts
 * await using sink = await createCsvSink('out.csv', { valueColumns: ['sentiment', 'score'] });
 * await sink.write(result); // a cell "=HYPERLINK(...)" is written as "'=HYPERLINK(...)"
 * ```
 */
export async function createCsvSink(target: SinkTarget, options: CsvSinkOptions = {}): Promise<Sink> {
  const parsed = parseOptions('createCsvSink', schema, options);
  const delimiter = parsed.delimiter ?? ',';
  const neutralize = parsed.neutralizeFormulas ?? true;
  const tail = parsed.includeRaw === true ? [...trailingColumns, 'raw'] : [...trailingColumns];
  let header: string[] | undefined;
  const { writer, existingBytes } = await openTextTarget(target, parsed, async (handle) => {
    const removed = await cutTornCsvRecord(handle);
    header = await readHeader(handle, delimiter);
    return removed;
  });
  let started = existingBytes > 0 && header !== undefined;
  const held: UnitResult[] = [];

  const line = (cells: readonly unknown[]): string => {
    const texts = cells.map((cell) => {
      const text = toCellText(cell);
      return neutralize ? neutralizeFormula(text) : text;
    });
    return `${Papa.unparse([texts], { delimiter, newline: '\r\n', header: false, escapeFormulae: false })}\r\n`;
  };

  const decide = (sample: UnitResult | undefined): string[] => {
    const mode = parsed.valueColumns ?? 'auto';
    let fields: string[] | undefined;
    if (Array.isArray(mode)) fields = [...mode];
    else if (mode === 'auto') {
      const value = sample?.value;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        fields = [...flattenValue(value).keys()].slice(0, maxInferredColumns);
      }
    }
    const output =
      fields === undefined ? ['value'] : [...fields.map((field) => `value.${field}`), restColumn];
    return [...leadingColumns, ...output, ...tail];
  };

  const start = async (sample: UnitResult | undefined): Promise<void> => {
    header = decide(sample);
    started = true;
    const bom = parsed.byteOrderMark === true && existingBytes === 0 ? '\uFEFF' : '';
    const pending = held.splice(0);
    await writer.write(
      bom + line(header) + pending.map((result) => line(resultCells(result, header ?? []))).join(''),
    );
  };

  let closed = false;
  return finishSink('csv', {
    async write(result) {
      if (closed) throw new AdapterError({ code: 'sink-closed', message: 'The CSV sink is closed' });
      if (!started) {
        const waiting = (parsed.valueColumns ?? 'auto') === 'auto' && result.value === undefined;
        if (waiting && held.length < inferenceWindow) {
          held.push(result);
          return;
        }
        await start(waiting ? undefined : result);
      }
      await writer.write(line(resultCells(result, header ?? [])));
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!started) await start(undefined);
      await writer.close();
    },
  });
}
