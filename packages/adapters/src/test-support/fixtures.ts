import { mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UnitResult } from '@llmbatch/core';
import { afterEach } from 'vitest';

const made: string[] = [];

/** A fresh temporary directory (real path), removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'llmbatch-adapters-')));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Writes `content` to `name` inside `dir` and returns the full path. */
export async function writeIn(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Collects every record of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Awaits `promise` and returns what it rejected with (fails the test if it resolved). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Number of open file descriptors of this process (Linux). */
export async function openDescriptors(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

/** A complete `UnitResult` with sensible defaults. */
export function result(overrides: Partial<UnitResult> = {}): UnitResult {
  return {
    index: 0,
    key: '0',
    status: 'ok',
    value: { label: 'positive' },
    raw: '{"label":"positive"}',
    warnings: [],
    usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0 },
    cost: 0.0001,
    attempts: [{ attempt: 1, durationMs: 12 }],
    durationMs: 12,
    ...overrides,
  };
}
