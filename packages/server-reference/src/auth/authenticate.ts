import { hashToken } from '../crypto/tokens.js';
import type { Database } from '../db/database.js';
import type { Role } from '../db/rows.js';
import { ApiError } from '../http/api-error.js';
import { weakerRole } from '../orgs/permissions.js';
import type { WallClock } from '../wall-clock.js';
import type { AccessTokens } from './access-tokens.js';
import type { Principal } from './principal.js';

/** Prefix of API tokens. */
export const apiTokenPrefix = 'lbk_';

const invalidApiToken = () =>
  new ApiError({ code: 'unauthenticated', message: 'The API token is not valid' });
const suspended = (what: string) => new ApiError({ code: 'suspended', message: `This ${what} is suspended` });

async function authenticateApiToken(database: Database, token: string, now: Date): Promise<Principal> {
  // A lookup by the token's hash, across organisations: the token itself says which one it serves.
  const { rows } = await database.query<{
    id: string;
    org_id: string;
    role: Exclude<Role, 'owner'>;
    created_by: string;
    expires_at: Date | null;
    revoked_at: Date | null;
    member_role: Role | null;
    user_suspended_at: Date | null;
    org_suspended_at: Date | null;
  }>(
    `SELECT t.id, t.org_id, t.role, t.created_by, t.expires_at, t.revoked_at, m.role AS member_role,
            u.suspended_at AS user_suspended_at, o.suspended_at AS org_suspended_at
       FROM api_tokens t
       JOIN users u ON u.id = t.created_by
       JOIN orgs o ON o.id = t.org_id
       LEFT JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.created_by
      WHERE t.token_hash = $1`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (row === undefined || row.revoked_at !== null || row.member_role === null) throw invalidApiToken();
  if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime()) throw invalidApiToken();
  if (row.user_suspended_at !== null) throw suspended('account');
  if (row.org_suspended_at !== null) throw suspended('organisation');
  await database.query(
    `UPDATE api_tokens SET last_used_at = $2
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`,
    [row.id, now],
  );
  const role = weakerRole(row.role, row.member_role);
  return {
    kind: 'api-token',
    tokenId: row.id,
    userId: row.created_by,
    orgId: row.org_id,
    role: role === 'owner' ? 'admin' : role,
  };
}

async function authenticateSession(
  database: Database,
  accessTokens: AccessTokens,
  token: string,
): Promise<Principal> {
  const claims = await accessTokens.verify(token);
  const { rows } = await database.query<{
    email: string;
    is_superadmin: boolean;
    suspended_at: Date | null;
    revoked_at: Date | null;
  }>(
    `SELECT u.email, u.is_superadmin, u.suspended_at, s.revoked_at
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND u.id = $2`,
    [claims.sessionId, claims.userId],
  );
  const row = rows[0];
  if (row === undefined || row.revoked_at !== null) {
    throw new ApiError({ code: 'unauthenticated', message: 'This session has ended; log in again' });
  }
  if (row.suspended_at !== null) throw suspended('account');
  return {
    kind: 'user',
    userId: claims.userId,
    sessionId: claims.sessionId,
    email: row.email,
    isSuperadmin: row.is_superadmin,
  };
}

/**
 * Resolves the `Authorization: Bearer …` header to a {@link Principal}: an `lbk_` API token or a JWT
 * access token whose session is still open. Returns null without a header; throws an `ApiError`
 * for a credential that is not valid or belongs to a suspended account or organisation.
 *
 * @example
 * ```ts
 * const principal = await authenticate({ database, accessTokens, clock }, request.headers.authorization);
 * ```
 */
export async function authenticate(
  dependencies: { database: Database; accessTokens: AccessTokens; clock: WallClock },
  authorization: string | undefined,
): Promise<Principal | null> {
  if (authorization === undefined) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{16,4096})$/.exec(authorization.trim());
  const token = match?.[1];
  if (token === undefined) {
    throw new ApiError({
      code: 'unauthenticated',
      message: 'Send credentials as "Authorization: Bearer <token>"',
    });
  }
  if (token.startsWith(apiTokenPrefix)) {
    return authenticateApiToken(dependencies.database, token, dependencies.clock.now());
  }
  return authenticateSession(dependencies.database, dependencies.accessTokens, token);
}
