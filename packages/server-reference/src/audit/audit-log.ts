import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/database.js';
import { tenantScope } from '../db/tenant-scope.js';

/** Who did something, and in which request. */
export interface AuditActor {
  /** The acting user (for API tokens, the token's creator). */
  userId: string | null;
  /** The acting API token, if any. */
  apiTokenId: string | null;
  /** The request id (`x-request-id`). */
  requestId: string | null;
  /** The caller's address. */
  ip: string | null;
}

/** One mutation to record. */
export interface AuditEntry {
  /** `noun.verb`, e.g. `provider-key.create`. */
  action: string;
  /** The kind of thing changed, e.g. `provider-key`. */
  targetType: string;
  /** Its id. */
  targetId?: string | null;
  /** The organisation it belongs to; null for account and platform events. */
  orgId?: string | null;
  /** Facts worth keeping. Never secrets: callers pass names, roles and ids only. */
  details?: Record<string, unknown>;
}

/**
 * The actor of a request: its principal (if any), request id and address.
 *
 * @example
 * ```ts
 * await recordAudit(transaction, actorOf(request), { action: 'org.update', targetType: 'org', targetId: orgId, orgId });
 * ```
 */
export function actorOf(request: FastifyRequest, userId?: string): AuditActor {
  const principal = request.principal;
  return {
    userId: userId ?? principal?.userId ?? null,
    apiTokenId: principal?.kind === 'api-token' ? principal.tokenId : null,
    requestId: request.id,
    ip: request.ip,
  };
}

/**
 * Writes one audit event, in the caller's transaction so the event exists exactly when the change does.
 *
 * @example
 * ```ts
 * await recordAudit(transaction, actorOf(request), { action: 'user.signup', targetType: 'user', targetId: userId });
 * ```
 */
export async function recordAudit(queryable: Queryable, actor: AuditActor, entry: AuditEntry): Promise<void> {
  const row = {
    actor_user_id: actor.userId,
    actor_api_token_id: actor.apiTokenId,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId ?? null,
    request_id: actor.requestId,
    ip: actor.ip,
    details: entry.details ?? {},
  };
  if (entry.orgId !== undefined && entry.orgId !== null) {
    await tenantScope(queryable, entry.orgId).insert('audit_events', row);
    return;
  }
  await queryable.query(
    `INSERT INTO audit_events (actor_user_id, actor_api_token_id, action, target_type, target_id, request_id, ip, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      row.actor_user_id,
      row.actor_api_token_id,
      row.action,
      row.target_type,
      row.target_id,
      row.request_id,
      row.ip,
      JSON.stringify(row.details),
    ],
  );
}
