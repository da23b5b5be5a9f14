import { Readable } from 'node:stream';
import Papa from 'papaparse';
import { AdapterError } from '../errors.js';
import { linesSpanned } from './csv-rows.js';
import { regroup } from './text.js';

/**
 * The rows parsed from one chunk of text. Row `i` has cells `rows[i]`, starts on 1-based line
 * `lines[i]` and ends on line `lines[i + 1] - 1` (more than one line when a quoted field holds line
 * breaks); `errors` has the quoting error papaparse reported for a row, by its position. Plain arrays
 * rather than an object per row: a million-row file makes a million fewer objects.
 */
export interface CsvBatch {
  readonly rows: readonly string[][];
  /** `rows.length + 1` entries: where each row starts, then the line after the last row. */
  readonly lines: readonly number[];
  readonly errors: ReadonlyMap<number, string> | undefined;
}

/** Options of {@link parseCsvRows}. */
export interface CsvParseOptions {
  /** Field delimiter; detected from the first chunk when undefined. */
  readonly delimiter: string | undefined;
  /** Longest record in characters, including one still being read. */
  readonly maxRecordLength: number;
  /** File name for messages. */
  readonly name: string;
}

/** Papa's first chunk has at least this many characters, so delimiter and newline detection see enough. */
const firstChunk = 64 * 1024;

/**
 * Later chunks have at least this many, or as many as the record still being read, whichever is more.
 * Each chunk's rows are parsed at once and live until the consumer has taken them, so the chunk size is
 * what a young-generation collection finds alive; small chunks keep that (and with it V8's growth of the
 * young generation, hence the process's memory over a long file) small. papaparse parses a partial
 * record again with every chunk, so chunks grow with a long record: it takes a few chunks, not thousands.
 */
const minimumChunk = 8 * 1024;

/**
 * Guesses the delimiter from the first chunk with papaparse, ignoring empty lines (which the streaming
 * parse keeps, to count lines). Falls back to a comma.
 */
function detectDelimiter(sample: string): string {
  const guess = Papa.parse<string[]>(sample, {
    preview: 10,
    skipEmptyLines: true,
    delimitersToGuess: [',', '\t', '|', ';'],
  });
  return guess.errors.some((error) => error.code === 'UndetectableDelimiter') ? ',' : guess.meta.delimiter;
}

interface Batch {
  rows: string[][];
  errors: Papa.ParseError[];
  parser: Papa.Parser;
  /** Characters fed to papaparse minus the end of the last complete row: the record still being read. */
  pending: number;
}

/**
 * Streams CSV rows through papaparse: one batch of rows per chunk of text, with papaparse paused until the
 * consumer asks for the next batch, so memory holds one chunk plus one partial record. Reports the
 * delimiter through `onDelimiter` once detected.
 */
export async function* parseCsvRows(
  text: AsyncIterable<string>,
  options: CsvParseOptions,
  onDelimiter: (delimiter: string) => void = () => undefined,
): AsyncGenerator<CsvBatch> {
  // papaparse calls `chunk` once per chunk it parses, in order, plus once for the end of input. Queueing
  // where each chunk ends tells how much text papaparse holds beyond the last complete row.
  const chunkEnds: number[] = [];
  let fed = 0;
  let wanted = firstChunk;
  async function* counted(): AsyncGenerator<string> {
    for await (const chunk of regroup(text, () => wanted)) {
      fed += chunk.length;
      chunkEnds.push(fed);
      yield chunk;
    }
  }
  const readable = Readable.from(counted(), { objectMode: true, highWaterMark: 1 });
  const batches: Batch[] = [];
  let batchesPushed = 0;
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  readable.on('error', (error) => {
    failure ??= error;
    notify();
  });
  let lastParser: Papa.Parser | undefined;
  Papa.parse<string[], NodeJS.ReadableStream>(readable, {
    header: false,
    dynamicTyping: false,
    skipEmptyLines: false,
    // papaparse calls a delimiter function once, with the first chunk.
    delimiter:
      options.delimiter ??
      ((sample: string) => {
        const detected = detectDelimiter(sample);
        onDelimiter(detected);
        return detected;
      }),
    chunk(results, parser) {
      const end = chunkEnds.shift() ?? fed;
      batches.push({
        rows: results.data,
        errors: results.errors,
        parser,
        pending: end - results.meta.cursor,
      });
      wanted = Math.max(minimumChunk, end - results.meta.cursor);
      batchesPushed += 1;
      // Pausing the parser handle alone lets papaparse keep queueing chunks from the stream; pausing the
      // stream too is what bounds memory while the consumer works through this batch.
      parser.pause();
      readable.pause();
      notify();
    },
    complete() {
      done = true;
      notify();
    },
    error(error) {
      failure ??= error;
      notify();
    },
  });

  let line = 1;
  try {
    for (;;) {
      const batch = batches.shift();
      if (batch === undefined) {
        if (failure !== undefined) throw failure;
        if (done) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      lastParser = batch.parser;
      let errors: Map<number, string> | undefined;
      for (const error of batch.errors) {
        if (error.type !== 'Quotes' || error.row === undefined) continue;
        errors ??= new Map();
        errors.set(error.row, error.message);
      }
      const rows = batch.rows;
      const lines = new Array<number>(rows.length + 1);
      for (let position = 0; position < rows.length; position++) {
        lines[position] = line;
        line += linesSpanned(rows[position] as string[]);
      }
      lines[rows.length] = line;
      if (batch.pending > options.maxRecordLength) {
        throw new AdapterError({
          code: 'record-too-large',
          message: `${options.name}: the record starting at line ${line} is longer than ${options.maxRecordLength} characters`,
          details: { line, maxRecordLength: options.maxRecordLength },
        });
      }
      if (rows.length > 0) yield { rows, lines, errors };
      const pushed = batchesPushed;
      batch.parser.resume();
      // resume() may parse an already queued chunk at once, whose callback pauses the stream again.
      if (batchesPushed === pushed) readable.resume();
    }
  } finally {
    if (!done) lastParser?.abort();
    readable.destroy();
  }
}
