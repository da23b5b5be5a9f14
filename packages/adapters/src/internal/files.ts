import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { AdapterError, toAdapterError } from '../errors.js';
import type { PathGuard } from '../path-guard.js';

/** Bytes read per `read()` call. */
export const readChunkBytes = 8 * 1024;

// O_NOFOLLOW: a symlink planted after the guard checked the path makes open() fail instead of following it.
// O_NONBLOCK: a FIFO swapped in after the check cannot block open(); on regular files it has no effect.
const noFollow = constants.O_NOFOLLOW ?? 0;
const nonBlocking = constants.O_NONBLOCK ?? 0;

async function assertRegular(handle: FileHandle, path: string): Promise<number> {
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new AdapterError({
      code: 'not-a-regular-file',
      message: `Path "${path}" is not a regular file`,
      details: { path },
    });
  }
  return stats.size;
}

/** Opens an existing regular file for reading, after the guard has checked `path`. */
export async function openForRead(guard: PathGuard, path: string): Promise<FileHandle> {
  const real = await guard.resolveReadable(path);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | noFollow | nonBlocking);
  } catch (error) {
    throw toAdapterError(error, 'io', `Cannot open "${path}"`, { path });
  }
  await assertRegular(handle, path);
  return handle;
}

/** How a sink treats an existing file. */
export type WriteMode = 'overwrite' | 'append' | 'create';

/** Opens (creating if needed) a file for a sink, after the guard has checked `path`. */
export async function openForWrite(
  guard: PathGuard,
  path: string,
  mode: WriteMode,
): Promise<{ handle: FileHandle; size: number }> {
  const real = await guard.resolveWritable(path);
  // Append mode reads the file too: a torn last line is found and cut before anything is added.
  const flags =
    (mode === 'append' ? constants.O_RDWR : constants.O_WRONLY) |
    constants.O_CREAT |
    noFollow |
    nonBlocking |
    (mode === 'append' ? constants.O_APPEND : 0) |
    (mode === 'overwrite' ? constants.O_TRUNC : 0) |
    (mode === 'create' ? constants.O_EXCL : 0);
  let handle: FileHandle;
  try {
    handle = await open(real, flags, 0o644);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') {
      throw new AdapterError({
        code: 'io',
        message: `File "${path}" already exists (mode "create" never overwrites)`,
        details: { path },
        cause: error,
      });
    }
    throw toAdapterError(error, 'io', `Cannot open "${path}" for writing`, { path });
  }
  const size = await assertRegular(handle, path);
  return { handle, size };
}

/** An async iterable of a file's bytes whose handle can be closed early, waiting for an in-flight read. */
export interface ByteReader extends AsyncIterable<Uint8Array> {
  close(): Promise<void>;
}

/** Reads `handle` from the start in {@link readChunkBytes} chunks; closes it at the end or on `close()`. */
export function readChunks(handle: FileHandle): ByteReader {
  let closed = false;
  let closing: Promise<void> | undefined;
  let inFlight: Promise<unknown> | undefined;
  const close = (): Promise<void> => {
    closed = true;
    closing ??= (async () => {
      await inFlight?.catch(() => undefined);
      await handle.close();
    })();
    return closing;
  };
  return {
    close,
    async *[Symbol.asyncIterator]() {
      try {
        while (!closed) {
          const buffer = Buffer.allocUnsafe(readChunkBytes);
          const read = handle.read(buffer, 0, readChunkBytes, null);
          inFlight = read;
          const { bytesRead } = await read;
          inFlight = undefined;
          if (bytesRead === 0) return;
          yield bytesRead === readChunkBytes ? buffer : buffer.subarray(0, bytesRead);
        }
      } finally {
        await close();
      }
    },
  };
}
