import { generateToken, hashToken } from '../crypto/tokens.js';
import type { Database, Queryable } from '../db/database.js';

/** Prefix of refresh tokens. */
export const refreshTokenPrefix = 'lbr_';

/**
 * Opens a login session and issues its first refresh token (stored hashed).
 *
 * @example
 * ```ts
 * const { sessionId, refreshToken } = await openSession(transaction, userId, now, 30 * 86_400);
 * ```
 */
export async function openSession(
  queryable: Queryable,
  userId: string,
  now: Date,
  refreshTtlSeconds: number,
): Promise<{ sessionId: string; refreshToken: string }> {
  const { rows } = await queryable.query<{ id: string }>(
    'INSERT INTO sessions (user_id, created_at, last_used_at) VALUES ($1, $2, $2) RETURNING id',
    [userId, now],
  );
  const sessionId = rows[0]?.id;
  if (sessionId === undefined) throw new Error('INSERT INTO sessions returned no row');
  const refreshToken = await issueRefreshToken(queryable, sessionId, now, refreshTtlSeconds);
  return { sessionId, refreshToken };
}

async function issueRefreshToken(
  queryable: Queryable,
  sessionId: string,
  now: Date,
  refreshTtlSeconds: number,
): Promise<string> {
  const token = generateToken(refreshTokenPrefix);
  await queryable.query(
    'INSERT INTO refresh_tokens (session_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)',
    [sessionId, hashToken(token), new Date(now.getTime() + refreshTtlSeconds * 1000), now],
  );
  return token;
}

/** The outcome of {@link rotateRefreshToken}. */
export type RotateResult =
  | { outcome: 'rotated'; userId: string; sessionId: string; refreshToken: string }
  | { outcome: 'reused'; userId: string; sessionId: string }
  | { outcome: 'invalid' } // unknown token, or its session has ended
  | { outcome: 'expired' }
  | { outcome: 'suspended' };

/**
 * Exchanges a refresh token for a new one in the same session. A token presented a second time
 * means it was stolen (or the client is broken): the whole session is revoked and `reused` is
 * returned, so neither holder can continue.
 *
 * @example
 * ```ts
 * const result = await rotateRefreshToken(database, body.refreshToken, now, ttl);
 * if (result.outcome === 'reused') audit('session.reuse-detected');
 * ```
 */
export async function rotateRefreshToken(
  database: Database,
  token: string,
  now: Date,
  refreshTtlSeconds: number,
): Promise<RotateResult> {
  return database.transaction(async (transaction) => {
    const { rows } = await transaction.query<{
      id: string;
      session_id: string;
      expires_at: Date;
      used_at: Date | null;
      user_id: string;
      revoked_at: Date | null;
      suspended_at: Date | null;
    }>(
      `SELECT t.id, t.session_id, t.expires_at, t.used_at, s.user_id, s.revoked_at, u.suspended_at
         FROM refresh_tokens t
         JOIN sessions s ON s.id = t.session_id
         JOIN users u ON u.id = s.user_id
        WHERE t.token_hash = $1
        FOR UPDATE OF t, s`,
      [hashToken(token)],
    );
    const row = rows[0];
    if (row === undefined) return { outcome: 'invalid' };
    if (row.used_at !== null) {
      if (row.revoked_at === null)
        await revokeSession(transaction, row.session_id, 'refresh-token-reused', now);
      return { outcome: 'reused', userId: row.user_id, sessionId: row.session_id };
    }
    if (row.revoked_at !== null) return { outcome: 'invalid' };
    if (row.expires_at.getTime() <= now.getTime()) return { outcome: 'expired' };
    if (row.suspended_at !== null) return { outcome: 'suspended' };
    await transaction.query('UPDATE refresh_tokens SET used_at = $2 WHERE id = $1', [row.id, now]);
    await transaction.query('UPDATE sessions SET last_used_at = $2 WHERE id = $1', [row.session_id, now]);
    const refreshToken = await issueRefreshToken(transaction, row.session_id, now, refreshTtlSeconds);
    return { outcome: 'rotated', userId: row.user_id, sessionId: row.session_id, refreshToken };
  });
}

/**
 * Ends one session: its refresh tokens stop working and its access tokens are refused.
 *
 * @example
 * ```ts
 * await revokeSession(database, principal.sessionId, 'logout', now);
 * ```
 */
export async function revokeSession(
  queryable: Queryable,
  sessionId: string,
  reason: string,
  now: Date,
): Promise<void> {
  await queryable.query(
    'UPDATE sessions SET revoked_at = $3, revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL',
    [sessionId, reason, now],
  );
}

/**
 * Ends every session of a user (password reset, suspension).
 *
 * @example
 * ```ts
 * await revokeAllSessions(transaction, userId, 'password-reset', now);
 * ```
 */
export async function revokeAllSessions(
  queryable: Queryable,
  userId: string,
  reason: string,
  now: Date,
): Promise<number> {
  const { rowCount } = await queryable.query(
    'UPDATE sessions SET revoked_at = $3, revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL',
    [userId, reason, now],
  );
  return rowCount;
}
