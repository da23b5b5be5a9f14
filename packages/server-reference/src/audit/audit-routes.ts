import * as z from 'zod';
import type { AuditEventRow } from '../db/rows.js';
import { orgHeadersSchema, requireOrg } from '../http/access-control.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { decodeCursor, pageQuerySchema, pageSchema, timestampSchema, toPage } from '../http/schemas.js';

/** One audit event. */
export const auditEventSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid().nullable(),
    actorUserId: z.uuid().nullable(),
    actorApiTokenId: z.uuid().nullable(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    createdAt: timestampSchema,
  })
  .meta({ id: 'AuditEvent' });

/**
 * Maps an `audit_events` row to the API shape.
 *
 * @example
 * ```ts
 * const events = rows.map(toAuditEvent);
 * ```
 */
export function toAuditEvent(row: AuditEventRow): z.infer<typeof auditEventSchema> {
  return {
    id: row.id,
    orgId: row.org_id,
    actorUserId: row.actor_user_id,
    actorApiTokenId: row.actor_api_token_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    requestId: row.request_id,
    ip: row.ip,
    details: row.details,
    createdAt: row.created_at.toISOString(),
  };
}

/** Query of audit listings: a page, optionally one action. */
export const auditQuerySchema = pageQuerySchema.extend({
  action: z.string().max(100).optional().describe('Only events with this action, e.g. provider-key.create.'),
});

/**
 * `GET /v1/audit-events`: the organisation's audit log, newest first (admins and owners).
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [auditRoutes] });
 * ```
 */
export function auditRoutes(app: ApiApp, _context: AppContext): void {
  app.get(
    '/v1/audit-events',
    {
      config: { access: { auth: 'org', permission: 'audit:read' } },
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: "The organisation's audit log, newest first",
        headers: orgHeadersSchema,
        querystring: auditQuerySchema,
        response: { 200: pageSchema(auditEventSchema) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const after = decodeCursor(request.query.cursor);
      const rows = await org.scope.list('audit_events', {
        where: request.query.action === undefined ? {} : { action: request.query.action },
        direction: 'desc',
        limit: request.query.limit + 1,
        ...(after === undefined ? {} : { after }),
      });
      return toPage(rows, request.query.limit, toAuditEvent);
    },
  );
}
