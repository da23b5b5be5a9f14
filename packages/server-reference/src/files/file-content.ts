import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ObjectKey, StorageDriver, StoredObject } from '../storage/storage-driver.js';
import { checkHead, type FileFormat, headBytes, peekStream } from './file-format.js';
import { attachmentDisposition, contentTypeOf, invalidFile, tooLarge } from './file-schemas.js';
import type { FileRow } from './file-store.js';

/**
 * Reads a stored object once, as a stream: checks that its start parses as `format` (the adapters
 * parse it, as for a streamed upload), and measures its size and SHA-256. Stops reading, and
 * throws the 413, as soon as it holds more than `maxBytes`; throws the 400 of a malformed file.
 *
 * @example
 * ```ts
 * const { sizeBytes, sha256 } = await inspectObject(storage.read(key), 'csv', claims.sizeBytes);
 * ```
 */
export async function inspectObject(
  chunks: AsyncIterable<Uint8Array>,
  format: FileFormat,
  maxBytes: number,
): Promise<StoredObject> {
  // Whatever way this ends (a limit, a bad head), the source is closed: a storage read holds a
  // connection or a file open until it is.
  const source = chunks[Symbol.asyncIterator]();
  try {
    const { head, complete, body } = await peekStream({ [Symbol.asyncIterator]: () => source }, headBytes);
    const problem = await checkHead(format, head, complete);
    if (problem !== undefined) throw invalidFile(format, problem);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of body) {
      sizeBytes += chunk.length;
      if (sizeBytes > maxBytes) throw tooLarge(maxBytes);
      hash.update(chunk);
    }
    return { sizeBytes, sha256: hash.digest('hex') };
  } finally {
    await source.return?.();
  }
}

/**
 * The chunks of `stream`, read one at a time, without closing it when the consumer stops early: a
 * request body must stay open so the error answer (a 413, say) can still be sent on its socket.
 *
 * @example
 * ```ts
 * await storage.write(key, withoutClosing(request.raw), { maxBytes });
 * ```
 */
export async function* withoutClosing(stream: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const iterator = stream[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/**
 * Moves an object with the driver's own `move`, or else by copying it through `read` and `write`.
 *
 * @example
 * ```ts
 * await moveObject(storage, uploadKeyFor(orgId, fileId), objectKeyFor(orgId, fileId));
 * ```
 */
export async function moveObject(storage: StorageDriver, from: ObjectKey, to: ObjectKey): Promise<void> {
  if (storage.move !== undefined) {
    await storage.move(from, to);
    return;
  }
  await storage.write(to, storage.read(from), { maxBytes: Number.MAX_SAFE_INTEGER });
  await storage.remove(from);
}

/**
 * Answers with a file's bytes, streamed from storage, with its type, length and a download name.
 *
 * @example
 * ```ts
 * return sendFileContent(reply, storage, objectKeyFor(org.id, row.id), row);
 * ```
 */
export function sendFileContent(
  reply: FastifyReply,
  storage: StorageDriver,
  key: ObjectKey,
  row: FileRow,
): FastifyReply {
  void reply
    .header('content-type', contentTypeOf[row.format])
    .header('content-length', String(row.size_bytes))
    .header('content-disposition', attachmentDisposition(row.name));
  return reply.send(Readable.from(storage.read(key)));
}
