import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logging/logger.js';
import { createServer } from '../src/server.js';
import { createTestDatabase } from './support/databases.js';

describe('server life cycle', () => {
  it('starts once however often start() is called, serves real HTTP, and stops once', async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-lifecycle-'));
    const database = await createTestDatabase('pglite');
    const config = await loadConfig({
      LLMBATCH_DATA_DIR: dataDirectory,
      PORT: '0',
      JWT_SECRET: randomBytes(32).toString('hex'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    let url = '';
    {
      await using server = await createServer({
        config,
        database: database.database,
        logger: createLogger({ level: 'silent' }),
      });
      const [first, second] = await Promise.all([server.start(), server.start()]);
      expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(second).toBe(first);
      url = first;
      const response = await fetch(`${url}/readyz`, { headers: { 'x-request-id': 'over-the-wire' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe('over-the-wire');
      const [a, b] = await Promise.all([server.stop(), server.stop()]);
      expect(a).toEqual({ drained: true });
      expect(b).toBe(a);
    } // `await using` disposes again: a no-op.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // The injected database belongs to the caller and is still open.
    expect((await database.database.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await database.dispose();
    await rm(dataDirectory, { recursive: true, force: true });
  });
});
