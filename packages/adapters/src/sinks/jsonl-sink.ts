import * as z from 'zod';
import { parseOptions, sharedSchemas } from '../internal/options.js';
import { openTextTarget } from '../internal/text-target.js';
import { cutTornLine } from '../internal/torn-tail.js';
import {
  type FileSinkOptions,
  finishSink,
  type Sink,
  type SinkTarget,
  type StreamSinkOptions,
  toResultRecord,
} from './sink.js';

/**
 * Options of {@link createJsonlSink}.
 *
 * @example
 * ```ts
 * await createJsonlSink('out.jsonl', { mode: 'append', includeRaw: false });
 * ```
 */
export interface JsonlSinkOptions extends FileSinkOptions, StreamSinkOptions {
  /** Keep the model's raw text in each line. @default true */
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
 * Writes one JSON object per line: key, input index, status, output value, raw text, warnings, usage,
 * cost, attempts, error and duration. In `append` mode a torn last line left by a crash is cut first.
 *
 * @example
 * ```ts
 * await using sink = await createJsonlSink('out.jsonl', { mode: 'append' });
 * for await (const result of engine.run(source, job)) await sink.write(result);
 * ```
 */
export async function createJsonlSink(target: SinkTarget, options: JsonlSinkOptions = {}): Promise<Sink> {
  const parsed = parseOptions('createJsonlSink', schema, options);
  const includeRaw = parsed.includeRaw ?? true;
  const { writer } = await openTextTarget(target, parsed, cutTornLine);
  return finishSink('jsonl', {
    write: (result) => writer.write(`${JSON.stringify(toResultRecord(result, includeRaw))}\n`),
    close: () => writer.close(),
  });
}
