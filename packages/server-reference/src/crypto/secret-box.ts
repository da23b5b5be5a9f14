import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from './key-ring.js';

/** A sealed secret as stored: the id of the key that sealed it and `base64(iv ‖ tag ‖ ciphertext)`. */
export interface SealedSecret {
  /** Id of the {@link KeyRing} key used. */
  keyId: string;
  /** Base64 of the 12-byte IV, the 16-byte GCM tag and the ciphertext. */
  ciphertext: string;
}

const ivBytes = 12;
const tagBytes = 16;

/**
 * Encrypts `plaintext` with AES-256-GCM under the ring's current key. `context` is authenticated
 * but not stored (for provider keys: the org and row id), so a ciphertext copied to another row or
 * organisation no longer decrypts.
 *
 * @example
 * ```ts
 * const sealed = seal(keyRing, 'sk-live-…', `provider-key:${orgId}:${id}`);
 * ```
 */
export function seal(keyRing: KeyRing, plaintext: string, context: string): SealedSecret {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', keyRing.current.key, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    keyId: keyRing.current.id,
    ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'),
  };
}

/**
 * Decrypts a {@link SealedSecret} sealed with the same `context`; throws when the key is unknown or
 * the ciphertext, tag or context do not match.
 *
 * @example
 * ```ts
 * const apiKey = open(keyRing, { keyId: row.key_id, ciphertext: row.ciphertext }, `provider-key:${orgId}:${id}`);
 * ```
 */
export function open(keyRing: KeyRing, sealed: SealedSecret, context: string): string {
  const entry = keyRing.find(sealed.keyId);
  if (entry === undefined) {
    throw new Error(`Encryption key ${sealed.keyId} is not configured (add it to ENCRYPTION_KEYS_OLD)`);
  }
  const bytes = Buffer.from(sealed.ciphertext, 'base64');
  if (bytes.length < ivBytes + tagBytes) throw new Error('Ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', entry.key, bytes.subarray(0, ivBytes), {
    authTagLength: tagBytes,
  });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(bytes.subarray(ivBytes, ivBytes + tagBytes));
  return Buffer.concat([decipher.update(bytes.subarray(ivBytes + tagBytes)), decipher.final()]).toString(
    'utf8',
  );
}
