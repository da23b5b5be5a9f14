import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { ConfigError } from './config-error.js';

const secretsFileSchema = z.object({ JWT_SECRET: z.string().min(32), ENCRYPTION_KEY: z.string() });

/** The secrets kept in `<data dir>/secrets.json` for development. */
export type DevelopmentSecrets = z.infer<typeof secretsFileSchema>;

/** File name of the development secrets inside the data directory. */
export const developmentSecretsFileName = 'secrets.json';

function generate(): DevelopmentSecrets {
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

async function read(path: string): Promise<DevelopmentSecrets> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) await chmod(path, 0o600);
  try {
    return secretsFileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    throw new ConfigError({
      message: `The development secrets file ${path} is unreadable; delete it`,
      cause: error,
    });
  }
}

/**
 * Returns the development secrets of a data directory, generating them on first use into a file
 * only its owner can read (mode 0600). Two processes starting together get the same secrets.
 *
 * @example
 * ```ts
 * const { secrets, path, created } = await ensureDevelopmentSecrets('./.llmbatch-data');
 * ```
 */
export async function ensureDevelopmentSecrets(
  dataDirectory: string,
): Promise<{ secrets: DevelopmentSecrets; path: string; created: boolean }> {
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 });
  const path = join(dataDirectory, developmentSecretsFileName);
  const secrets = generate();
  // Written whole to a private temporary file, then linked into place: a concurrent reader never
  // sees a half-written file, and link() fails when another process got there first.
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
    return { secrets, path, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { secrets: await read(path), path, created: false };
  } finally {
    await unlink(temporary);
  }
}
