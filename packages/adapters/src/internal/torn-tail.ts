import type { FileHandle } from 'node:fs/promises';
import { readChunkBytes } from './files.js';

const newline = 0x0a;
const quote = 0x22;

/**
 * Cuts a JSONL file after its last line break, removing a line a crash left half written. Returns how many
 * bytes were removed.
 */
export async function cutTornLine(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  const buffer = Buffer.allocUnsafe(readChunkBytes);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - readChunkBytes);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    const last = buffer.subarray(0, bytesRead).lastIndexOf(newline);
    if (last !== -1) {
      const keep = start + last + 1;
      if (keep < size) await handle.truncate(keep);
      return size - keep;
    }
    end = start;
  }
  if (size > 0) await handle.truncate(0);
  return size;
}

/**
 * Cuts a CSV file after its last complete record. A record ends at a line break outside quotes, so a
 * crash in the middle of a quoted field holding line breaks is found too. Reads the whole file once.
 * Returns how many bytes were removed.
 */
export async function cutTornCsvRecord(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  const buffer = Buffer.allocUnsafe(readChunkBytes);
  let inQuotes = false;
  let keep = 0;
  let position = 0;
  while (position < size) {
    const { bytesRead } = await handle.read(buffer, 0, readChunkBytes, position);
    if (bytesRead === 0) break;
    for (let offset = 0; offset < bytesRead; offset += 1) {
      const byte = buffer[offset];
      // RFC 4180 escapes a quote inside a quoted field as two quotes, which toggles twice: the state holds.
      if (byte === quote) inQuotes = !inQuotes;
      else if (byte === newline && !inQuotes) keep = position + offset + 1;
    }
    position += bytesRead;
  }
  if (keep < size) await handle.truncate(keep);
  return size - keep;
}
