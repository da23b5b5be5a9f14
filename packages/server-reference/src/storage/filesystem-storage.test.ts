import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFilesystemStorage } from './filesystem-storage.js';
import { objectKeyFor, StorageError } from './storage-driver.js';

async function* chunks(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let index = 0; index < count; index += 1) yield Buffer.alloc(size, 97 + (index % 26));
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of iterable) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('filesystem storage', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'llmbatch-storage-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('streams an object in and out, reporting its size and SHA-256', async () => {
    const storage = createFilesystemStorage({ root });
    const key = objectKeyFor(randomUUID(), randomUUID());
    const stored = await storage.write(key, chunks(40, 16_384), { maxBytes: 1_000_000 });
    const content = await collect(storage.read(key));
    expect(stored).toEqual({
      sizeBytes: 655_360,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    expect(content.length).toBe(655_360);
    expect(await storage.exists(key)).toBe(true);
    await storage.remove(key);
    expect(await storage.exists(key)).toBe(false);
    await expect(collect(storage.read(key))).rejects.toMatchObject({ code: 'object-not-found' });
  });

  it('rejects a write past the size limit and leaves no file behind', async () => {
    const storage = createFilesystemStorage({ root });
    const key = objectKeyFor(randomUUID(), randomUUID());
    const failure = await storage
      .write(key, chunks(10, 1000), { maxBytes: 4500 })
      .catch((error: unknown) => error);
    expect(StorageError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'object-too-large', details: { maxBytes: 4500 } });
    expect(await storage.exists(key)).toBe(false);
    expect(await listFiles(root)).toEqual([]);
  });

  it('builds keys only from two UUIDs', () => {
    expect(() => objectKeyFor('../../etc', randomUUID())).toThrow(StorageError);
    expect(() => objectKeyFor(randomUUID(), 'passwd')).toThrow(StorageError);
    const orgId = randomUUID();
    const objectId = randomUUID();
    expect(objectKeyFor(orgId, objectId)).toBe(`orgs/${orgId}/objects/${objectId}`);
  });
});
