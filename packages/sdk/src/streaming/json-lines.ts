import { readLines } from './server-sent-events.js';

/**
 * A line of a JSONL stream that is not valid JSON.
 *
 * @example
 * ```ts
 * if (error instanceof JsonLinesParseError) console.error(`bad line ${error.line}`);
 * ```
 */
export class JsonLinesParseError extends Error {
  /** The 1-based line number. */
  readonly line: number;

  constructor(line: number, cause: unknown) {
    super(`Line ${line} of the JSONL stream is not valid JSON`, { cause });
    this.name = 'JsonLinesParseError';
    this.line = line;
  }
}

/**
 * Reads a JSONL (newline-delimited JSON) byte stream one value at a time, in bounded memory; blank
 * lines are skipped. `Row` is what the caller knows each line to be (it is not validated).
 *
 * @example
 * ```ts
 * for await (const row of readJsonLines<{ id: string }>(response.body)) console.log(row.id);
 * ```
 */
export async function* readJsonLines<Row = unknown>(stream: ReadableStream<Uint8Array>): AsyncGenerator<Row> {
  let number = 0;
  for await (const line of readLines(stream)) {
    number += 1;
    if (line.trim() === '') continue;
    let value: Row;
    try {
      value = JSON.parse(line) as Row;
    } catch (error) {
      throw new JsonLinesParseError(number, error);
    }
    yield value;
  }
}
