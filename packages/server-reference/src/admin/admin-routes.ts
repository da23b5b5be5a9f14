import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { auditEventSchema, auditQuerySchema, toAuditEvent } from '../audit/audit-routes.js';
import { revokeAllSessions } from '../auth/sessions.js';
import { toUser, userSchema } from '../auth/users.js';
import type { AuditEventRow, OrgRow, UserRow } from '../db/rows.js';
import { notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { decodeCursor, pageQuerySchema, pageSchema, timestampSchema, toPage } from '../http/schemas.js';

/** An organisation as platform administrators see it. */
export const adminOrgSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    suspended: z.boolean(),
    memberCount: z.number().int(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'AdminOrg' });

type Suspendable = 'users' | 'orgs';

/**
 * The platform administration API under `/v1/admin` (superadmins only): list users and
 * organisations, suspend and unsuspend them, read the whole audit log. A suspended user cannot log
 * in, refresh, or use API tokens; a suspended organisation answers 403 on every route.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [adminRoutes] });
 * ```
 */
export function adminRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock } = context;
  const superadmin = { access: { auth: 'superadmin' as const } };

  // The admin API spans every organisation on purpose; it is the one place that lists across tenants.
  const pageQuery = (
    table: Suspendable,
    after: { value: Date; id: string } | undefined,
    limit: number,
    search?: string,
  ) => {
    const values: unknown[] = [limit + 1];
    const conditions: string[] = [];
    if (after !== undefined) {
      values.push(after.value, after.id);
      conditions.push(`(created_at, id) > ($${values.length - 1}, $${values.length})`);
    }
    if (search !== undefined) {
      values.push(`%${search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
      conditions.push(`${table === 'users' ? 'email' : 'name'} ILIKE $${values.length}`);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    return { where, values };
  };

  app.get(
    '/v1/admin/users',
    {
      config: superadmin,
      schema: {
        tags: ['admin'],
        operationId: 'adminListUsers',
        summary: 'All users',
        querystring: pageQuerySchema.extend({ email: z.string().max(254).optional() }),
        response: { 200: pageSchema(userSchema) },
      },
    },
    async (request) => {
      const { where, values } = pageQuery(
        'users',
        decodeCursor(request.query.cursor),
        request.query.limit,
        request.query.email,
      );
      const { rows } = await database.query<UserRow>(
        `SELECT * FROM users ${where} ORDER BY created_at, id LIMIT $1`,
        values,
      );
      return toPage(rows, request.query.limit, toUser);
    },
  );

  app.get(
    '/v1/admin/orgs',
    {
      config: superadmin,
      schema: {
        tags: ['admin'],
        operationId: 'adminListOrgs',
        summary: 'All organisations',
        querystring: pageQuerySchema.extend({ name: z.string().max(100).optional() }),
        response: { 200: pageSchema(adminOrgSchema) },
      },
    },
    async (request) => {
      const { where, values } = pageQuery(
        'orgs',
        decodeCursor(request.query.cursor),
        request.query.limit,
        request.query.name,
      );
      const { rows } = await database.query<OrgRow & { member_count: number }>(
        `SELECT o.*, (SELECT count(*)::int FROM memberships m WHERE m.org_id = o.id) AS member_count
           FROM orgs o ${where} ORDER BY created_at, id LIMIT $1`,
        values,
      );
      return toPage(rows, request.query.limit, (row) => ({
        id: row.id,
        name: row.name,
        suspended: row.suspended_at !== null,
        memberCount: row.member_count,
        createdAt: row.created_at.toISOString(),
      }));
    },
  );

  for (const table of ['users', 'orgs'] as const) {
    const noun = table === 'users' ? 'user' : 'org';
    const params = table === 'users' ? z.object({ userId: z.uuid() }) : z.object({ orgId: z.uuid() });
    for (const suspend of [true, false]) {
      const verb = suspend ? 'suspend' : 'unsuspend';
      app.post(
        `/v1/admin/${table}/:${noun === 'user' ? 'userId' : 'orgId'}/${verb}`,
        {
          config: superadmin,
          schema: {
            tags: ['admin'],
            operationId: `admin${verb === 'suspend' ? 'Suspend' : 'Unsuspend'}${noun === 'user' ? 'User' : 'Org'}`,
            summary: `${suspend ? 'Suspend' : 'Lift the suspension of'} a${noun === 'org' ? 'n organisation' : ' user'}`,
            params,
            response: { 200: z.object({ id: z.uuid(), suspended: z.boolean() }) },
          },
        },
        async (request) => {
          const id = Object.values(request.params)[0] ?? '';
          const now = clock.now();
          await database.transaction(async (transaction) => {
            const { rowCount } = await transaction.query(
              `UPDATE ${table} SET suspended_at = ${suspend ? 'coalesce(suspended_at, $2)' : 'NULL'}, updated_at = $2 WHERE id = $1`,
              [id, now],
            );
            if (rowCount === 0) throw notFound(noun === 'user' ? 'user' : 'organisation');
            if (suspend && table === 'users') await revokeAllSessions(transaction, id, 'suspended', now);
            await recordAudit(transaction, actorOf(request), {
              action: `${noun}.${verb}`,
              targetType: noun,
              targetId: id,
            });
          });
          return { id, suspended: suspend };
        },
      );
    }
  }

  app.get(
    '/v1/admin/audit-events',
    {
      config: superadmin,
      schema: {
        tags: ['admin'],
        operationId: 'adminListAuditEvents',
        summary: 'The whole audit log, newest first',
        querystring: auditQuerySchema,
        response: { 200: pageSchema(auditEventSchema) },
      },
    },
    async (request) => {
      const after = decodeCursor(request.query.cursor);
      const values: unknown[] = [request.query.limit + 1];
      const conditions: string[] = [];
      if (after !== undefined) {
        values.push(after.value, after.id);
        conditions.push(`(created_at, id) < ($${values.length - 1}, $${values.length})`);
      }
      if (request.query.action !== undefined) {
        values.push(request.query.action);
        conditions.push(`action = $${values.length}`);
      }
      const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
      const { rows } = await database.query<AuditEventRow>(
        `SELECT * FROM audit_events ${where} ORDER BY created_at DESC, id DESC LIMIT $1`,
        values,
      );
      return toPage(rows, request.query.limit, toAuditEvent);
    },
  );
}
