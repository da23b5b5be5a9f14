import * as z from 'zod';
import { AdapterError } from '../errors.js';
import { splitLines } from '../internal/lines.js';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import { type ByteInput, decodeText, inputOpener } from '../internal/text.js';
import { createPathGuard } from '../path-guard.js';
import { createSource, defaultMaxRecordLength, type Source, type TextSourceOptions } from './source.js';

/**
 * Options of {@link createJsonlSource}.
 *
 * @example
 * ```ts
 * createJsonlSource('data.jsonl', { invalidRecords: 'skip', maxRecordLength: 1_000_000 });
 * ```
 */
export interface JsonlSourceOptions extends TextSourceOptions {}

const schema = z
  .object({
    root: sharedSchemas.root,
    encoding: sharedSchemas.encoding,
    maxRecordLength: sharedSchemas.maxRecordLength,
    invalidRecords: sharedSchemas.invalidRecords,
    maxReportedIssues: sharedSchemas.maxReportedIssues,
  })
  .strict();

/** True for a JSON object (not an array, not null). */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads JSON Lines: one JSON object per line, streamed. Blank lines are ignored; a line that is not valid
 * JSON throws `parse` (or `not-an-object` for valid JSON that is not an object) naming the line, or is
 * skipped and reported with `invalidRecords: 'skip'`.
 *
 * @example
 * ```ts
 * const source = createJsonlSource('reviews.jsonl', { invalidRecords: 'skip' });
 * for await (const review of source) console.log(review.text);
 * console.log(source.report.skipped); // [{ line: 7, code: 'parse', message: '...' }]
 * ```
 */
export function createJsonlSource(input: ByteInput, options: JsonlSourceOptions = {}): Source {
  const parsed = parseOptions('createJsonlSource', schema, options);
  const open = inputOpener(input, createPathGuard({ root: parsed.root }));
  const mode = parsed.invalidRecords ?? 'error';
  const maxLength = parsed.maxRecordLength ?? defaultMaxRecordLength;

  return createSource('jsonl', parsed.maxReportedIssues ?? 100, async function* read(state) {
    const opened = await open();
    try {
      const text = decodeText(opened.chunks, parsed.encoding ?? 'auto', opened.name);
      for await (const lines of splitLines(text, maxLength, opened.name)) {
        for (const line of lines) {
          state.report.linesRead = line.number;
          if (line.text.trim() === '') continue;
          let value: unknown;
          try {
            value = JSON.parse(line.text);
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            state.reject(
              mode,
              new AdapterError({
                code: 'parse',
                message: `${opened.name}: line ${line.number} is not valid JSON (${reason})`,
                cause: error,
                details: { line: line.number },
              }),
              { line: line.number },
            );
            continue;
          }
          if (!isPlainRecord(value)) {
            state.reject(
              mode,
              new AdapterError({
                code: 'not-an-object',
                message: `${opened.name}: line ${line.number} is JSON but not an object`,
                details: { line: line.number },
              }),
              { line: line.number },
            );
            continue;
          }
          state.report.recordsRead += 1;
          yield value;
        }
      }
    } finally {
      await opened.close();
    }
  });
}
