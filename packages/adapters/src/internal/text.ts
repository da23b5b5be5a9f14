import { TextDecoder } from 'node:util';
import { AdapterError } from '../errors.js';
import type { PathGuard } from '../path-guard.js';
import { openForRead, readChunks } from './files.js';

/**
 * Text encodings the sources read. `auto` looks for a byte order mark: UTF-8 (`EF BB BF`), UTF-16LE
 * (`FF FE`) or UTF-16BE (`FE FF`), and reads UTF-8 when there is none.
 *
 * @example
 * ```ts
 * createCsvSource('export.csv', { encoding: 'utf-16le' });
 * ```
 */
export type TextEncoding = 'auto' | 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * Where a source reads bytes from: a file path (checked by the path guard), a function returning a fresh
 * byte stream per iteration, or a byte stream that can be read once (for example `process.stdin`).
 *
 * @example
 * ```ts
 * createJsonlSource('data.jsonl');                         // a path
 * createJsonlSource(() => createReadStream('data.jsonl')); // re-readable stream
 * createJsonlSource(process.stdin);                        // read once
 * ```
 */
export type ByteInput = string | AsyncIterable<Uint8Array> | (() => AsyncIterable<Uint8Array>);

/** An opened input: its bytes, a name for messages, and `close()` that releases a file handle early. */
export interface OpenedInput {
  readonly chunks: AsyncIterable<Uint8Array>;
  readonly name: string;
  close(): Promise<void>;
}

/** Returns a function that opens `input` once per iteration of a source. */
export function inputOpener(input: ByteInput, guard: PathGuard): () => Promise<OpenedInput> {
  if (typeof input === 'string') {
    return async () => {
      const reader = readChunks(await openForRead(guard, input));
      return { chunks: reader, name: input, close: () => reader.close() };
    };
  }
  if (typeof input === 'function') {
    return async () => ({ chunks: input(), name: 'stream', close: async () => undefined });
  }
  let consumed = false;
  return async () => {
    if (consumed) {
      throw new AdapterError({
        code: 'already-consumed',
        message: 'This source reads a one-shot stream that was already read; pass a function to read again',
      });
    }
    consumed = true;
    return { chunks: input, name: 'stream', close: async () => undefined };
  };
}

function detect(head: Uint8Array): { encoding: 'utf-8' | 'utf-16le' | 'utf-16be' } {
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le' };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be' };
  return { encoding: 'utf-8' };
}

/**
 * Decodes a byte stream into text chunks. A byte order mark is removed. Invalid bytes throw `encoding`
 * with the byte offset of the chunk where decoding failed.
 */
export async function* decodeText(
  chunks: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
  name: string,
): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let pending: Uint8Array | undefined;
  let offset = 0;
  const decode = (bytes: Uint8Array, stream: boolean): string => {
    try {
      return (decoder as TextDecoder).decode(bytes, { stream });
    } catch (error) {
      throw new AdapterError({
        code: 'encoding',
        message: `${name}: the bytes near offset ${offset} are not valid ${(decoder as TextDecoder).encoding}`,
        cause: error,
        details: { byteOffset: offset, encoding: (decoder as TextDecoder).encoding },
      });
    }
  };
  for await (const chunk of chunks) {
    let bytes = chunk;
    if (decoder === undefined) {
      // A byte order mark needs up to three bytes; wait for them before choosing the decoder.
      bytes = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      if (encoding === 'auto' && bytes.length < 3) {
        pending = bytes;
        continue;
      }
      pending = undefined;
      decoder = new TextDecoder(encoding === 'auto' ? detect(bytes).encoding : encoding, { fatal: true });
    }
    const text = decode(bytes, true);
    offset += bytes.length;
    if (text.length > 0) yield text;
  }
  if (decoder === undefined) {
    if (pending === undefined) return;
    decoder = new TextDecoder(detect(pending).encoding, { fatal: true });
    const text = decode(pending, false);
    if (text.length > 0) yield text;
    return;
  }
  const tail = decode(new Uint8Array(0), false);
  if (tail.length > 0) yield tail;
}

/**
 * Regroups text chunks so each (except the last) has at least `minimum` characters; a function is asked
 * again for every chunk.
 */
export async function* regroup(
  chunks: AsyncIterable<string>,
  minimum: number | (() => number),
): AsyncGenerator<string> {
  const wanted = typeof minimum === 'number' ? () => minimum : minimum;
  let parts: string[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= wanted()) {
      yield parts.length === 1 ? (parts[0] as string) : parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield parts.join('');
}
