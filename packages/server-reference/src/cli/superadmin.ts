import { recordAudit } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';

/**
 * Grants or revokes the platform administrator flag of the user with this address (audited as a
 * command-line action). Returns false when no such user exists.
 *
 * @example
 * ```ts
 * await setSuperadmin(database, 'ops@example.com', true);
 * ```
 */
export async function setSuperadmin(database: Database, email: string, grant: boolean): Promise<boolean> {
  return database.transaction(async (transaction) => {
    const { rows } = await transaction.query<{ id: string }>(
      'UPDATE users SET is_superadmin = $2, updated_at = now() WHERE lower(email) = lower($1) RETURNING id',
      [email, grant],
    );
    const user = rows[0];
    if (user === undefined) return false;
    await recordAudit(
      transaction,
      { userId: null, apiTokenId: null, requestId: null, ip: null },
      {
        action: grant ? 'user.superadmin-grant' : 'user.superadmin-revoke',
        targetType: 'user',
        targetId: user.id,
        details: { via: 'cli' },
      },
    );
    return true;
  });
}
