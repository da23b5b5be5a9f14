import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyRing, keyIdOf } from './key-ring.js';
import { open, seal } from './secret-box.js';

const newKey = () => randomBytes(32).toString('base64');

describe('seal and open (AES-256-GCM)', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const keyRing = createKeyRing(newKey());
    const sealed = seal(keyRing, 'sk-live-secret-value', 'provider-key:org-a:1');
    expect(sealed.keyId).toBe(keyRing.current.id);
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('latin1')).not.toContain('sk-live-secret-value');
    expect(open(keyRing, sealed, 'provider-key:org-a:1')).toBe('sk-live-secret-value');
  });

  it('uses a fresh IV, so sealing the same secret twice gives different ciphertexts', () => {
    const keyRing = createKeyRing(newKey());
    expect(seal(keyRing, 'same', 'c').ciphertext).not.toBe(seal(keyRing, 'same', 'c').ciphertext);
  });

  it('refuses a ciphertext moved to another context (another org or row)', () => {
    const keyRing = createKeyRing(newKey());
    const sealed = seal(keyRing, 'sk-secret', 'provider-key:org-a:1');
    expect(() => open(keyRing, sealed, 'provider-key:org-b:1')).toThrow();
  });

  it('refuses a tampered ciphertext', () => {
    const keyRing = createKeyRing(newKey());
    const sealed = seal(keyRing, 'sk-secret', 'c');
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 1;
    expect(() => open(keyRing, { ...sealed, ciphertext: bytes.toString('base64') }, 'c')).toThrow();
  });

  it('opens ciphertexts of an old key listed in the ring, and names a missing key', () => {
    const oldKey = newKey();
    const sealed = seal(createKeyRing(oldKey), 'sk-old', 'c');
    expect(open(createKeyRing(newKey(), [oldKey]), sealed, 'c')).toBe('sk-old');
    expect(() => open(createKeyRing(newKey()), sealed, 'c')).toThrow(
      `Encryption key ${keyIdOf(Buffer.from(oldKey, 'base64'))} is not configured`,
    );
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => createKeyRing(randomBytes(16).toString('base64'))).toThrow(
      'ENCRYPTION_KEY must be 32 bytes',
    );
  });
});
