import { createHash } from 'node:crypto';

/** One 256-bit encryption key and its id (stored next to each ciphertext). */
export interface EncryptionKey {
  /** A short id derived from the key, so rotation needs no separate naming. */
  id: string;
  /** The 32 key bytes. */
  key: Buffer;
}

/**
 * The current encryption key (used for every new ciphertext) and older keys still accepted for
 * decryption until `llmbatch-server rotate-keys` re-encrypts their rows.
 *
 * @example
 * ```ts
 * const keyRing = createKeyRing(process.env.ENCRYPTION_KEY ?? '', ['b2xkIGtleS...']);
 * ```
 */
export interface KeyRing {
  /** The key new ciphertexts use. */
  readonly current: EncryptionKey;
  /** Finds a key by id, current or old. */
  find(id: string): EncryptionKey | undefined;
}

/**
 * The id of a key: the first 12 hex digits of SHA-256 over a label and the key. It identifies the
 * key without revealing it.
 *
 * @example
 * ```ts
 * keyIdOf(Buffer.alloc(32)); // '…12 hex digits…'
 * ```
 */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('llmbatch-key-id:').update(key).digest('hex').slice(0, 12);
}

function decodeKey(base64: string, name: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new TypeError(`${name} must be 32 bytes encoded as base64`);
  return key;
}

/**
 * Builds a {@link KeyRing} from base64 keys (`ENCRYPTION_KEY` and `ENCRYPTION_KEYS_OLD`).
 *
 * @example
 * ```ts
 * const keyRing = createKeyRing(randomBytes(32).toString('base64'));
 * ```
 */
export function createKeyRing(currentKey: string, oldKeys: readonly string[] = []): KeyRing {
  const current = decodeKey(currentKey, 'ENCRYPTION_KEY');
  const keys = new Map<string, EncryptionKey>();
  for (const [index, old] of oldKeys.entries()) {
    const key = decodeKey(old, `ENCRYPTION_KEYS_OLD[${index}]`);
    keys.set(keyIdOf(key), { id: keyIdOf(key), key });
  }
  const currentEntry = { id: keyIdOf(current), key: current };
  keys.set(currentEntry.id, currentEntry);
  return { current: currentEntry, find: (id) => keys.get(id) };
}
