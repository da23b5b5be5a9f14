import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPgliteDatabase } from '../src/db/pglite-database.js';
import { startChild } from './support/child-process.js';

const bin = 'src/cli/bin.ts';

describe('llmbatch-server worker and all (real processes)', () => {
  let dataDirectory: string;
  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-cli-worker-'));
    const database = await createPgliteDatabase({
      dataDirectory: join(dataDirectory, 'pglite'),
      loadDataDirectory: new Blob([await readFile(inject('pgliteTemplate'))]),
    });
    await database.close();
  });
  afterAll(async () => {
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('runs a worker that stops on SIGTERM and exits 0', async () => {
    const child = startChild(bin, ['worker'], { NODE_ENV: 'development', LLMBATCH_DATA_DIR: dataDirectory });
    await child.waitFor('"msg":"worker started"');
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.output()).toContain('"msg":"worker stopped"');
    expect(child.output()).not.toContain('llmbatch server listening');
  });

  it('runs the API and a worker in one process by default on the embedded database', async () => {
    const child = startChild(bin, [], {
      NODE_ENV: 'development',
      LLMBATCH_DATA_DIR: dataDirectory,
      PORT: '0',
    });
    await child.waitFor('"msg":"llmbatch server listening"');
    await child.waitFor('"msg":"worker started"');
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.output()).toContain('"msg":"worker stopped"');
  });
});
