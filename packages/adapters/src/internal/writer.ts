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

/** Where blocks of text go: one block in flight at a time. */
interface BlockTarget {
  writeBlock(block: string): Promise<void>;
  finish(): Promise<void>;
}

/** Characters buffered while a block is being written before `write()` waits. */
const highWaterMark = 64 * 1024;

/**
 * Buffers text while a block is being written and writes the rest as one block when it completes. When
 * the target is idle a write goes out at once, so a slow trickle of results reaches the file immediately;
 * under load lines are joined into large blocks (fewer system calls, far less garbage than one stream write
 * per line). At most one block is in flight and `highWaterMark` characters wait behind it.
 */
function createBlockWriter(target: BlockTarget, name: string): TextWriter {
  let pending: string[] = [];
  let pendingLength = 0;
  let inFlight: Promise<void> | undefined;
  let failure: AdapterError | undefined;
  let closed = false;

  const flush = (): void => {
    const block = pending.length === 1 ? (pending[0] as string) : pending.join('');
    pending = [];
    pendingLength = 0;
    inFlight = target.writeBlock(block).then(
      () => {
        inFlight = undefined;
        if (pending.length > 0 && failure === undefined) flush();
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

  return {
    async write(text) {
      if (failure !== undefined) throw failure;
      if (closed) throw new AdapterError({ code: 'sink-closed', message: `${name} is closed` });
      pending.push(text);
      pendingLength += text.length;
      if (inFlight === undefined) flush();
      while (pendingLength >= highWaterMark && inFlight !== undefined) await inFlight;
      if (failure !== undefined) throw failure;
    },
    async close() {
      if (closed) return;
      closed = true;
      await settle();
      if (pending.length > 0 && failure === undefined) {
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
          stream.write(block, (error) => (error ? reject(error) : resolve()));
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
        const bytes = Buffer.from(block, 'utf8');
        let offset = 0;
        while (offset < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
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
