import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { ensureDevelopmentSecrets } from './development-secrets.js';
import { loadConfig } from './load-config.js';

let dataDirectory: string;
beforeEach(async () => {
  dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-config-'));
});
afterEach(async () => {
  await rm(dataDirectory, { recursive: true, force: true });
});

async function configError(environment: Record<string, string>): Promise<ConfigError> {
  try {
    await loadConfig(environment);
  } catch (error) {
    if (ConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig in production', () => {
  it('names every missing required variable at once and generates nothing', async () => {
    const error = await configError({ NODE_ENV: 'production', LLMBATCH_DATA_DIR: dataDirectory });
    expect(error.missing).toEqual(['DATABASE_URL', 'JWT_SECRET', 'ENCRYPTION_KEY', 'SMTP_URL']);
    expect(error.message).toBe(
      'Missing required configuration in production: DATABASE_URL, JWT_SECRET, ENCRYPTION_KEY, SMTP_URL. Set them in the environment; see docs/server.md.',
    );
    await expect(stat(join(dataDirectory, 'secrets.json'))).rejects.toThrow('ENOENT');
  });

  it('names an invalid secret without printing its value', async () => {
    const error = await configError({
      NODE_ENV: 'production',
      JWT_SECRET: 'too-short-secret-value',
      ENCRYPTION_KEY: 'bm90LTMyLWJ5dGVz',
    });
    expect(error.invalid).toEqual(['JWT_SECRET', 'ENCRYPTION_KEY']);
    expect(error.message).toContain('JWT_SECRET: must be at least 32 characters');
    expect(error.message).toContain('ENCRYPTION_KEY: must be 32 bytes encoded as base64');
    expect(error.message).not.toContain('too-short-secret-value');
    expect(error.message).not.toContain('bm90LTMyLWJ5dGVz');
  });

  it('accepts a complete production environment', async () => {
    const config = await loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app@db.internal:5432/llmbatch',
      JWT_SECRET: 'j'.repeat(40),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ENCRYPTION_KEYS_OLD: `${randomBytes(32).toString('base64')}, ${randomBytes(32).toString('base64')}`,
      SMTP_URL: 'smtps://mailer:pw@smtp.example.com:465',
      PUBLIC_URL: 'https://api.example.com/',
      LLMBATCH_DATA_DIR: dataDirectory,
      TRUST_PROXY: 'true',
    });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://app@db.internal:5432/llmbatch',
      maxConnections: 10,
    });
    expect(config.oldEncryptionKeys).toHaveLength(2);
    expect(config.publicUrl).toBe('https://api.example.com');
    expect(config.appUrl).toBe('https://api.example.com');
    expect(config.trustProxy).toBe(true);
  });
});

describe('loadConfig in development', () => {
  it('generates missing secrets once into a 0600 file and reports only its path', async () => {
    const reports: unknown[] = [];
    const first = await loadConfig(
      { LLMBATCH_DATA_DIR: dataDirectory },
      { onSecretsGenerated: (information) => reports.push(information) },
    );
    const path = join(dataDirectory, 'secrets.json');
    expect(reports).toEqual([{ path, names: ['JWT_SECRET', 'ENCRYPTION_KEY'] }]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(path, 'utf8'));
    expect(stored).toEqual({ JWT_SECRET: first.jwtSecret, ENCRYPTION_KEY: first.encryptionKey });
    expect(JSON.stringify(reports)).not.toContain(first.jwtSecret);

    const second = await loadConfig(
      { LLMBATCH_DATA_DIR: dataDirectory },
      { onSecretsGenerated: () => reports.push('again') },
    );
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(second.encryptionKey).toBe(first.encryptionKey);
    expect(reports).toHaveLength(1);
    expect(first.database).toEqual({ kind: 'pglite', dataDirectory: join(dataDirectory, 'pglite') });
  });

  it('gives processes starting together the same secrets', async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureDevelopmentSecrets(dataDirectory)));
    expect(new Set(results.map((result) => result.secrets.JWT_SECRET)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
  });

  it('prefers secrets from the environment', async () => {
    const key = randomBytes(32).toString('base64');
    const config = await loadConfig({
      LLMBATCH_DATA_DIR: dataDirectory,
      JWT_SECRET: 's'.repeat(32),
      ENCRYPTION_KEY: key,
    });
    expect(config.jwtSecret).toBe('s'.repeat(32));
    expect(config.encryptionKey).toBe(key);
    await expect(stat(join(dataDirectory, 'secrets.json'))).rejects.toThrow('ENOENT');
  });
});
