import * as z from 'zod';
import { AdapterError } from '../errors.js';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import { openTextTarget } from '../internal/text-target.js';
import {
  type FileSinkOptions,
  finishSink,
  type Sink,
  type SinkTarget,
  type StreamSinkOptions,
  toResultRecord,
} from './sink.js';

/**
 * Options of {@link createJsonSink}. `mode: 'append'` is refused: a JSON array cannot be added to.
 *
 * @example
 * ```ts
 * await createJsonSink('out.json', { includeRaw: false });
 * ```
 */
export interface JsonSinkOptions extends FileSinkOptions, StreamSinkOptions {
  /** Keep the model's raw text in each element. @default true */
  includeRaw?: boolean;
}

const schema = z
  .object({
    root: sharedSchemas.root,
    mode: sharedSchemas.sinkMode,
    endStream: z.boolean().optional(),
    includeRaw: z.boolean().optional(),
  })
  .strict();

/**
 * Writes a JSON array of result objects (the same fields as the JSONL sink), one element per line, closing
 * the array on `close()`. Results are written as they come; the file is valid JSON once closed.
 *
 * @example
 * ```ts
 * const sink = await createJsonSink('out.json');
 * await sink.write(result);
 * await sink.close();
 * ```
 */
export async function createJsonSink(target: SinkTarget, options: JsonSinkOptions = {}): Promise<Sink> {
  const parsed = parseOptions('createJsonSink', schema, options);
  if (parsed.mode === 'append') {
    throw new AdapterError({
      code: 'append-unsupported',
      message: 'A JSON array cannot be appended to; use JSONL, CSV or SQLite to resume a run',
    });
  }
  const includeRaw = parsed.includeRaw ?? true;
  const { writer } = await openTextTarget(target, parsed, async () => 0);
  let first = true;
  let closed = false;
  return finishSink('json', {
    async write(result) {
      const element = JSON.stringify(toResultRecord(result, includeRaw));
      await writer.write(first ? `[\n${element}` : `,\n${element}`);
      first = false;
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer.write(first ? '[]\n' : '\n]\n');
      await writer.close();
    },
  });
}
