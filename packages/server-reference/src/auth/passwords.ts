import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters. */
export interface PasswordHashingOptions {
  /** CPU/memory cost, a power of two. @default 32768 (2^15, about 32 MiB and tens of milliseconds) */
  cost?: number;
  /** Block size. @default 8 */
  blockSize?: number;
  /** Parallelisation. @default 1 */
  parallelization?: number;
}

const keyLength = 64;

function derive(password: string, salt: Buffer, options: Required<PasswordHashingOptions>): Promise<Buffer> {
  const scryptOptions: ScryptOptions = {
    N: options.cost,
    r: options.blockSize,
    p: options.parallelization,
    maxmem: 256 * options.cost * options.blockSize + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, scryptOptions, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

function withDefaults(options: PasswordHashingOptions): Required<PasswordHashingOptions> {
  return {
    cost: options.cost ?? 32_768,
    blockSize: options.blockSize ?? 8,
    parallelization: options.parallelization ?? 1,
  };
}

/**
 * Hashes a password with scrypt and a fresh 16-byte salt. The result records its parameters
 * (`scrypt$N$r$p$salt$hash`), so the cost can rise later without breaking old hashes.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('correct horse battery staple');
 * ```
 */
export async function hashPassword(password: string, options: PasswordHashingOptions = {}): Promise<string> {
  const settings = withDefaults(options);
  const salt = randomBytes(16);
  const key = await derive(password, salt, settings);
  return [
    'scrypt',
    settings.cost,
    settings.blockSize,
    settings.parallelization,
    salt.toString('base64'),
    key.toString('base64'),
  ].join('$');
}

/**
 * Checks a password against a stored hash in constant time; false for a malformed hash.
 *
 * @example
 * ```ts
 * if (!(await verifyPassword(given, user.password_hash))) throw invalidCredentials();
 * ```
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, blockSize, parallelization, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), {
    cost: Number(cost),
    blockSize: Number(blockSize),
    parallelization: Number(parallelization),
  });
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
