import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A new random bearer secret with a readable prefix (`lbk_…` API token, `lbr_…` refresh token).
 * 32 random bytes make guessing hopeless, so storing only a fast SHA-256 of it is safe.
 *
 * @example
 * ```ts
 * const token = generateToken('lbk_'); // 'lbk_Q2h…' (47 characters)
 * ```
 */
export function generateToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * The hex SHA-256 of a token: what the database stores and looks tokens up by.
 *
 * @example
 * ```ts
 * await database.query('SELECT * FROM api_tokens WHERE token_hash = $1', [hashToken(token)]);
 * ```
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Compares two strings in time that does not depend on where they differ.
 *
 * @example
 * ```ts
 * if (!constantTimeEqual(given, expected)) throw new Error('mismatch');
 * ```
 */
export function constantTimeEqual(left: string, right: string): boolean {
  const a = createHash('sha256').update(left).digest();
  const b = createHash('sha256').update(right).digest();
  return timingSafeEqual(a, b) && left.length === right.length;
}
