import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AdapterError, toAdapterError } from '../errors.js';

/** Writes text with backpressure: `write()` resolves once the target can take more. */
export interface TextWriter {
  write(text: string): Promise<void>;
  /** Writes what is buffered, then releases the target (fsync and close for files). */
  close(): Promise<void>;
}

/** Where blocks of bytes go: one block in flight at a time. */
interface BlockTarget {
  /** Writes `block` in full. The writer reuses `block`'s memory once the promise settles. */
  writeBlock(block: Buffer): Promise<void>;
  finish(): Promise<void>;
}

/** What `write()` returns when the text was taken at once (callers may compare with it to skip a wait). */
export const accepted: Promise<void> = Promise.resolve();

/** Bytes waiting behind the block being written before `write()` waits (backpressure). */
const highWaterMark = 64 * 1024;

/** Size of each of the two byte buffers: the high-water mark plus room for the line that crosses it. */
const bufferBytes = 2 * highWaterMark;

/**
 * Encodes text into a byte buffer as it arrives and writes what has gathered as one block when the
 * previous block completes. When the target is idle a write goes out at once, so a slow trickle of
 * results reaches the file immediately; under load lines are joined into large blocks (fewer system
 * calls). At most one block is in flight and `highWaterMark` bytes wait behind it.
 *
 * The waiting text is kept as bytes in one of two reused buffers, off the JavaScript heap, rather than as
 * a list of strings joined at flush time: a string per line that lives until the next block goes out
 * survives young-generation collections, and that survival is what makes V8 grow its young generation
 * (and the process's memory) over a long run.
 */
function createBlockWriter(target: BlockTarget, name: string): TextWriter {
  let pending: Buffer = Buffer.allocUnsafe(bufferBytes);
  let spare: Buffer | undefined = Buffer.allocUnsafe(bufferBytes);
  let filled = 0;
  let inFlight: Promise<void> | undefined;
  let failure: AdapterError | undefined;
  let closed = false;

  const append = (text: string): void => {
    const room = pending.length - filled;
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so short text needs no byte count.
    if (text.length * 3 > room) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > room) {
        // Text larger than the buffer (a huge result): a bigger buffer for this block only.
        const larger = Buffer.allocUnsafe(filled + bytes);
        pending.copy(larger, 0, 0, filled);
        pending = larger;
      }
    }
    filled += pending.write(text, filled, 'utf8');
  };

  const flush = (): void => {
    const full = pending;
    const length = filled;
    pending = spare ?? Buffer.allocUnsafe(bufferBytes);
    spare = undefined;
    filled = 0;
    inFlight = target.writeBlock(full.subarray(0, length)).then(
      () => {
        inFlight = undefined;
        if (full.length === bufferBytes) spare = full;
        if (filled > 0 && failure === undefined) flush();
      },
      (error: unknown) => {
        inFlight = undefined;
        failure ??= toAdapterError(error, 'io', `Writing "${name}" failed`);
      },
    );
  };

  const settle = async (): Promise<void> => {
    while (inFlight !== undefined) await inFlight;
  };

  const waitForRoom = async (): Promise<void> => {
    while (filled >= highWaterMark && inFlight !== undefined) await inFlight;
    if (failure !== undefined) throw failure;
  };

  return {
    // Not an async function: a write that fits returns one shared settled promise, so the common case
    // allocates nothing beyond the text itself, which is encoded at once and can die young.
    write(text) {
      if (failure !== undefined) return Promise.reject(failure);
      if (closed)
        return Promise.reject(new AdapterError({ code: 'sink-closed', message: `${name} is closed` }));
      append(text);
      if (inFlight === undefined) flush();
      if (filled >= highWaterMark && inFlight !== undefined) return waitForRoom();
      return accepted;
    },
    async close() {
      if (closed) return;
      closed = true;
      await settle();
      if (filled > 0 && failure === undefined) {
        flush();
        await settle();
      }
      try {
        await target.finish();
      } catch (error) {
        failure ??= toAdapterError(error, 'io', `Closing "${name}" failed`);
      }
      if (failure !== undefined) throw failure;
    },
  };
}

/**
 * A writer over a stream such as `process.stdout`. A stream error fails the pending and every later
 * `write()` with an `io` error; `end: false` leaves the stream open on close.
 */
export function createTextWriter(stream: Writable, options: { end: boolean; name: string }): TextWriter {
  let streamError: unknown;
  // Without a listener a stream error (EPIPE on stdout) would crash the process.
  const onError = (error: unknown): void => {
    streamError ??= error;
  };
  stream.on('error', onError);
  return createBlockWriter(
    {
      writeBlock: (block) =>
        new Promise<void>((resolve, reject) => {
          if (streamError !== undefined) {
            reject(streamError);
            return;
          }
          // A stream may keep the chunk after its callback (a PassThrough buffers it for its reader), so
          // it gets a copy of the block, which the writer reuses.
          stream.write(Buffer.from(block), (error) => (error ? reject(error) : resolve()));
        }),
      async finish() {
        try {
          if (options.end) {
            stream.end();
            await finished(stream);
          }
        } finally {
          stream.off('error', onError);
        }
        if (streamError !== undefined) throw streamError;
      },
    },
    options.name,
  );
}

/** A writer over an opened file: fsyncs and closes it on close, so the results survive a power loss. */
export function fileWriter(handle: FileHandle, name: string): TextWriter {
  return createBlockWriter(
    {
      async writeBlock(block) {
        let offset = 0;
        while (offset < block.length) {
          const { bytesWritten } = await handle.write(block, offset, block.length - offset, null);
          offset += bytesWritten;
        }
      },
      async finish() {
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      },
    },
    name,
  );
}
