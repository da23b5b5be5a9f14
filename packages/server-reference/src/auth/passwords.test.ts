import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

const cheap = { cost: 1024 };

describe('password hashing (scrypt)', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple', cheap);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(stored).not.toContain('correct horse');
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapler', stored)).resolves.toBe(false);
  });

  it('salts each hash, so equal passwords give different hashes', async () => {
    expect(await hashPassword('same password!', cheap)).not.toBe(await hashPassword('same password!', cheap));
  });

  it('verifies with the parameters recorded in the hash, so the cost can change later', async () => {
    const stored = await hashPassword('a long password', { cost: 2048 });
    await expect(verifyPassword('a long password', stored)).resolves.toBe(true);
  });

  it('treats a malformed hash as a mismatch', async () => {
    await expect(verifyPassword('anything', 'bcrypt$whatever')).resolves.toBe(false);
  });
});
