import { generateToken, hashToken } from '../crypto/tokens.js';
import type { Queryable } from '../db/database.js';

/** What a one-time token is for. */
export type OneTimeTokenPurpose = 'verify-email' | 'reset-password';

/** How long each kind of link works. */
export const oneTimeTokenLifetimeHours: Record<OneTimeTokenPurpose, number> = {
  'verify-email': 24,
  'reset-password': 1,
};

/**
 * Creates a single-use token for a mailed link, stored only as its hash. Earlier unused tokens of
 * the same purpose stop working, so only the newest link is valid.
 *
 * @example
 * ```ts
 * const token = await createOneTimeToken(transaction, userId, 'reset-password', now);
 * ```
 */
export async function createOneTimeToken(
  queryable: Queryable,
  userId: string,
  purpose: OneTimeTokenPurpose,
  now: Date,
): Promise<string> {
  const token = generateToken('lbo_');
  await queryable.query(
    'UPDATE one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL',
    [userId, purpose, now],
  );
  await queryable.query(
    'INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
    [
      userId,
      purpose,
      hashToken(token),
      new Date(now.getTime() + oneTimeTokenLifetimeHours[purpose] * 3_600_000),
      now,
    ],
  );
  return token;
}

/**
 * Redeems a one-time token: atomically marks it used and returns its user, or undefined when it is
 * unknown, already used, expired or for another purpose.
 *
 * @example
 * ```ts
 * const userId = await consumeOneTimeToken(transaction, body.token, 'verify-email', now);
 * ```
 */
export async function consumeOneTimeToken(
  queryable: Queryable,
  token: string,
  purpose: OneTimeTokenPurpose,
  now: Date,
): Promise<string | undefined> {
  const { rows } = await queryable.query<{ user_id: string }>(
    `UPDATE one_time_tokens SET used_at = $3
      WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
      RETURNING user_id`,
    [hashToken(token), purpose, now],
  );
  return rows[0]?.user_id;
}
