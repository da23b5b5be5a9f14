import { AdapterError, createCsvSource, createJsonlSource, type Source } from '@llmbatch/adapters';

/** Input formats a file may have. */
export type FileFormat = 'csv' | 'jsonl';

/** Bytes of an upload read before it is stored, to check its format. */
export const headBytes = 64 * 1024;

/**
 * Opens `chunks` as a source of units in `format`, parsed by the adapters.
 *
 * @example
 * ```ts
 * for await (const unit of openSource('csv', () => storage.read(key))) console.log(unit);
 * ```
 */
export function openSource(format: FileFormat, chunks: () => AsyncIterable<Uint8Array>): Source {
  return format === 'csv' ? createCsvSource(chunks) : createJsonlSource(chunks);
}

/** The first bytes of a stream and the whole stream (those bytes included), read once. */
export interface PeekedStream {
  /** Up to `limit` bytes from the start. */
  head: Buffer;
  /** True when the stream ended within `head`. */
  complete: boolean;
  /** Every byte of the stream, starting with `head`. */
  body: AsyncIterable<Uint8Array>;
}

/**
 * Reads the first `limit` bytes of `stream` without losing them, so they can be checked before the
 * rest is streamed on.
 *
 * @example
 * ```ts
 * const { head, body } = await peekStream(request.raw, 65_536);
 * ```
 */
export async function peekStream(stream: AsyncIterable<Uint8Array>, limit: number): Promise<PeekedStream> {
  const iterator = stream[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let length = 0;
  let complete = false;
  while (length < limit) {
    const next = await iterator.next();
    if (next.done === true) {
      complete = true;
      break;
    }
    const chunk = Buffer.from(next.value);
    parts.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(parts);
  async function* body(): AsyncIterable<Uint8Array> {
    if (head.length > 0) yield head;
    if (complete) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  return { head: head.subarray(0, limit), complete, body: body() };
}

/**
 * Checks that the start of a file parses as `format`: at least one record, and no malformed record
 * before the point where the head was cut. Returns the problem, or undefined when it looks right.
 *
 * @example
 * ```ts
 * const problem = await checkHead('csv', head, complete);
 * if (problem !== undefined) throw invalidFile(problem);
 * ```
 */
export async function checkHead(
  format: FileFormat,
  head: Buffer,
  complete: boolean,
): Promise<string | undefined> {
  // A cut head may end inside a record; only a failure before any whole record is a format error.
  const text = complete ? head : head.subarray(0, Math.max(0, head.lastIndexOf(0x0a) + 1));
  const source = openSource(format, async function* () {
    yield text;
  });
  let records = 0;
  try {
    for await (const _record of source) {
      records += 1;
      if (records >= 100) break;
    }
  } catch (error) {
    if (AdapterError.isInstance(error)) return error.message;
    throw error;
  }
  return records === 0 ? `The file holds no ${format === 'csv' ? 'data rows' : 'records'}` : undefined;
}
