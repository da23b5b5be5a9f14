import { JSONParser } from '@streamparser/json';
import * as z from 'zod';
import { AdapterError } from '../errors.js';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import { type ByteInput, decodeText, inputOpener } from '../internal/text.js';
import { createPathGuard } from '../path-guard.js';
import { isPlainRecord } from './jsonl-source.js';
import { createSource, type Source, type TextSourceOptions } from './source.js';

/**
 * Options of {@link createJsonSource}. `invalidRecords: 'skip'` skips array elements that are not objects.
 *
 * @example
 * ```ts
 * createJsonSource('items.json', { invalidRecords: 'skip' });
 * ```
 */
export interface JsonSourceOptions extends Omit<TextSourceOptions, 'maxRecordLength'> {}

const schema = z
  .object({
    root: sharedSchemas.root,
    encoding: sharedSchemas.encoding,
    invalidRecords: sharedSchemas.invalidRecords,
    maxReportedIssues: sharedSchemas.maxReportedIssues,
  })
  .strict();

function parseError(name: string, error: unknown, index: number): AdapterError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AdapterError({
    code: 'parse',
    message: `${name}: invalid JSON after ${index} array elements (${reason})`,
    cause: error,
    details: { index },
  });
}

/**
 * Reads a JSON file whose top level is an array of objects, streamed element by element: memory holds one
 * element at a time, so a 2 GB array is fine. A top level that is not an array, or malformed JSON, throws
 * `parse`; an element that is not an object throws `not-an-object` (or is skipped and reported with
 * `invalidRecords: 'skip'`).
 *
 * @example
 * ```ts
 * for await (const item of createJsonSource('items.json')) console.log(item.id);
 * ```
 */
export function createJsonSource(input: ByteInput, options: JsonSourceOptions = {}): Source {
  const parsed = parseOptions('createJsonSource', schema, options);
  const open = inputOpener(input, createPathGuard({ root: parsed.root }));
  const mode = parsed.invalidRecords ?? 'error';

  return createSource('json', parsed.maxReportedIssues ?? 100, async function* read(state) {
    const opened = await open();
    try {
      // keepStack: false drops each element from the parser's array once emitted, keeping memory flat.
      const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
      let batch: unknown[] = [];
      let index = 0;
      let sawStart = false;
      parser.onValue = ({ value }) => {
        batch.push(value);
      };
      const take = function* (): Generator<Record<string, unknown>> {
        const values = batch;
        batch = [];
        for (const value of values) {
          const position = index;
          index += 1;
          if (isPlainRecord(value)) {
            state.report.recordsRead += 1;
            yield value;
            continue;
          }
          state.reject(
            mode,
            new AdapterError({
              code: 'not-an-object',
              message: `${opened.name}: array element ${position} is not an object`,
              details: { index: position },
            }),
            { index: position },
          );
        }
      };
      for await (const chunk of decodeText(opened.chunks, parsed.encoding ?? 'auto', opened.name)) {
        let text = chunk;
        if (!sawStart) {
          text = chunk.trimStart();
          if (text.length === 0) continue;
          if (!text.startsWith('[')) {
            throw new AdapterError({
              code: 'parse',
              message: `${opened.name}: expected a JSON array at the top level`,
              details: { index: 0 },
            });
          }
          sawStart = true;
        }
        try {
          parser.write(text);
        } catch (error) {
          yield* take();
          throw parseError(opened.name, error, index);
        }
        yield* take();
      }
      if (!sawStart) {
        throw new AdapterError({
          code: 'parse',
          message: `${opened.name}: the file is empty, expected a JSON array`,
        });
      }
      if (!parser.isEnded) {
        try {
          parser.end();
        } catch (error) {
          yield* take();
          throw parseError(opened.name, error, index);
        }
        yield* take();
      }
    } finally {
      await opened.close();
    }
  });
}
