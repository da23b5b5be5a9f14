import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { createKeyRing } from '../src/crypto/key-ring.js';
import { createPgliteDatabase } from '../src/db/pglite-database.js';
import { createOutboxMailer } from '../src/mail/mailer.js';
import { readProviderKey, storeProviderKey } from '../src/provider-keys/provider-key-store.js';
import { runChild, startChild } from './support/child-process.js';

const bin = 'src/cli/bin.ts';

describe('llmbatch-server command line (real processes)', () => {
  let dataDirectory: string;
  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-cli-'));
    // Start from the migrated template instead of running initdb in every child (seconds each).
    const template = new Blob([await readFile(inject('pgliteTemplate'))]);
    const database = await createPgliteDatabase({
      dataDirectory: join(dataDirectory, 'pglite'),
      loadDataDirectory: template,
    });
    await database.close();
  });
  afterAll(async () => {
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('refuses to start in production without secrets, naming each missing variable', async () => {
    const { code, output } = await runChild(bin, ['api'], {
      NODE_ENV: 'production',
      LLMBATCH_DATA_DIR: dataDirectory,
    });
    expect(code).toBe(1);
    expect(output).toBe(
      'llmbatch-server: Missing required configuration in production: DATABASE_URL, JWT_SECRET, ENCRYPTION_KEY, SMTP_URL. Set them in the environment; see docs/server.md.\n',
    );
    await expect(stat(join(dataDirectory, 'secrets.json'))).rejects.toThrow('ENOENT');
  });

  it('in development, migrates the embedded database and keeps generated secrets in a 0600 file it never prints', async () => {
    const { code, output } = await runChild(bin, ['migrate'], {
      NODE_ENV: 'development',
      LLMBATCH_DATA_DIR: dataDirectory,
    });
    expect(code, output).toBe(0);
    const path = join(dataDirectory, 'secrets.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(await readFile(path, 'utf8')) as {
      JWT_SECRET: string;
      ENCRYPTION_KEY: string;
    };
    expect(output).toContain(`"path":"${path}"`);
    expect(output).toContain('"msg":"database is up to date"');
    expect(output).not.toContain(secrets.JWT_SECRET);
    expect(output).not.toContain(secrets.ENCRYPTION_KEY);
  });

  it('prints the development outbox', async () => {
    const database = await createPgliteDatabase({ dataDirectory: join(dataDirectory, 'pglite') });
    await createOutboxMailer(database).send({
      to: 'dev@example.test',
      subject: 'Hello outbox',
      text: 'link: http://x/?token=1',
    });
    await database.close();
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['outbox'], { LLMBATCH_DATA_DIR: dataDirectory, LOG_LEVEL: 'silent' })).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(
      /To: dev@example\.test\nSubject: Hello outbox\n\nlink: http:\/\/x\/\?token=1/,
    );
  });

  it('rotate-keys re-encrypts stored provider keys from ENCRYPTION_KEYS_OLD to ENCRYPTION_KEY', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    let database = await createPgliteDatabase({ dataDirectory: join(dataDirectory, 'pglite') });
    const { rows } = await database.query<{ id: string }>(
      "INSERT INTO orgs (name) VALUES ('Rotating') RETURNING id",
    );
    const orgId = rows[0]?.id ?? '';
    const stored = await storeProviderKey(database, createKeyRing(oldKey), orgId, {
      name: 'k',
      provider: 'openai',
      baseUrl: null,
      apiKey: 'sk-rotate-me-0001',
      createdBy: null,
      createdAt: new Date(),
    });
    await database.close();
    const environment = {
      LLMBATCH_DATA_DIR: dataDirectory,
      LOG_LEVEL: 'silent',
      ENCRYPTION_KEY: newKey,
      ENCRYPTION_KEYS_OLD: oldKey,
    };
    expect(await main(['rotate-keys'], environment)).toBe(0);
    database = await createPgliteDatabase({ dataDirectory: join(dataDirectory, 'pglite') });
    try {
      const key = await readProviderKey(database, createKeyRing(newKey), orgId, stored.id);
      expect(key?.apiKey).toBe('sk-rotate-me-0001');
    } finally {
      await database.close();
    }
    // Without the old key the (already rotated) row still decrypts; an unknown key id would exit 1.
    expect(await main(['rotate-keys'], { ...environment, ENCRYPTION_KEYS_OLD: '' })).toBe(0);
  });

  it('answers unknown commands with the usage and exit code 2', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['frobnicate'], { LLMBATCH_DATA_DIR: dataDirectory, LOG_LEVEL: 'silent' })).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain('unknown command "frobnicate"');
    expect(written.join('')).toContain('rotate-keys');
  });

  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const child = startChild('test/fixtures/slow-api.ts', [], {
      LLMBATCH_DATA_DIR: dataDirectory,
      PORT: '0',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '20000',
    });
    const started = await child.waitFor(/"url":"http:\/\/127\.0\.0\.1:\d+"/);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(started)?.[1];
    const inFlight = fetch(`${url}/v1/test/slow?ms=1500`);
    await child.waitFor('"path":"/v1/test/slow"');
    child.process.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    expect(await child.exited, child.output()).toBe(0);
    const output = child.output();
    expect(output).toContain('"signal":"SIGTERM"');
    expect(output).toContain('"drained":true');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
