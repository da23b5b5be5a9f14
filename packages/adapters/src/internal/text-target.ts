import type { FileHandle } from 'node:fs/promises';
import { createPathGuard } from '../path-guard.js';
import type { FileSinkOptions, SinkTarget } from '../sinks/sink.js';
import { openForWrite } from './files.js';
import { createTextWriter, fileWriter, type TextWriter } from './writer.js';

/** Opens the writer for a path (cutting a torn last line in append mode) or wraps a stream. */
export async function openTextTarget(
  target: SinkTarget,
  options: { root?: string | undefined; mode?: FileSinkOptions['mode']; endStream?: boolean | undefined },
  cutTorn: (handle: FileHandle) => Promise<number>,
): Promise<{ writer: TextWriter; existingBytes: number }> {
  if (typeof target !== 'string') {
    return {
      writer: createTextWriter(target, { end: options.endStream ?? true, name: 'stream' }),
      existingBytes: 0,
    };
  }
  const mode = options.mode ?? 'overwrite';
  const { handle, size } = await openForWrite(createPathGuard({ root: options.root }), target, mode);
  try {
    const removed = mode === 'append' ? await cutTorn(handle) : 0;
    return { writer: fileWriter(handle, target), existingBytes: size - removed };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
