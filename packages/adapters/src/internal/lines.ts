import { AdapterError } from '../errors.js';

/** One physical line of text without its line break, with its 1-based number. */
export interface Line {
  readonly text: string;
  readonly number: number;
}

/**
 * Splits text chunks into lines (`\n` or `\r\n`). Lines are yielded in batches, one batch per chunk, so
 * memory holds one chunk plus one partial line. A line longer than `maxLength` characters throws
 * `record-too-large` before it is buffered whole.
 */
export async function* splitLines(
  chunks: AsyncIterable<string>,
  maxLength: number,
  name: string,
): AsyncGenerator<Line[]> {
  let partial: string[] = [];
  let partialLength = 0;
  let number = 0;
  const tooLarge = (): AdapterError =>
    new AdapterError({
      code: 'record-too-large',
      message: `${name}: line ${number + 1} is longer than ${maxLength} characters`,
      details: { line: number + 1, maxRecordLength: maxLength },
    });
  const finish = (text: string): Line => {
    number += 1;
    return { text: text.endsWith('\r') ? text.slice(0, -1) : text, number };
  };
  for await (const chunk of chunks) {
    const batch: Line[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf('\n', start);
      if (end === -1) break;
      const piece = chunk.slice(start, end);
      if (partialLength + piece.length > maxLength) throw tooLarge();
      if (partial.length > 0) {
        partial.push(piece);
        batch.push(finish(partial.join('')));
        partial = [];
        partialLength = 0;
      } else {
        batch.push(finish(piece));
      }
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.slice(start);
      partialLength += rest.length;
      if (partialLength > maxLength) throw tooLarge();
      partial.push(rest);
    }
    if (batch.length > 0) yield batch;
  }
  if (partial.length > 0) yield [finish(partial.join(''))];
}
