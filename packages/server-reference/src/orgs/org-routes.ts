import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import type { OrgRow, Role } from '../db/rows.js';
import { tenantScope } from '../db/tenant-scope.js';
import { requireOrg, requireUser } from '../http/access-control.js';
import { notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { roleSchema, timestampSchema } from '../http/schemas.js';

/** An organisation as the API shows it, with the caller's role in it. */
export const orgSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: roleSchema.describe("The caller's role in this organisation."),
    suspended: z.boolean(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'Org' });

const orgParams = z.object({ orgId: z.uuid() });
const orgNameSchema = z.string().trim().min(1).max(100);

function toOrg(row: OrgRow, role: Role): z.infer<typeof orgSchema> {
  return {
    id: row.id,
    name: row.name,
    role,
    suspended: row.suspended_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Organisations: list and create yours (`/v1/orgs`), read, rename and delete one (`/v1/orgs/{orgId}`).
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [orgRoutes] });
 * ```
 */
export function orgRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock } = context;
  const findOrg = async (orgId: string) => {
    const { rows } = await database.query<OrgRow>('SELECT * FROM orgs WHERE id = $1', [orgId]);
    const row = rows[0];
    if (row === undefined) throw notFound('organisation');
    return row;
  };

  app.get(
    '/v1/orgs',
    {
      config: { access: { auth: 'user' } },
      schema: {
        tags: ['orgs'],
        operationId: 'listOrgs',
        summary: 'Organisations you belong to',
        response: { 200: z.object({ data: z.array(orgSchema) }) },
      },
    },
    async (request) => {
      const { userId } = requireUser(request);
      const { rows } = await database.query<OrgRow & { role: Role }>(
        `SELECT o.*, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
          WHERE m.user_id = $1 ORDER BY m.created_at, o.id`,
        [userId],
      );
      return { data: rows.map((row) => toOrg(row, row.role)) };
    },
  );

  app.post(
    '/v1/orgs',
    {
      config: { access: { auth: 'user' } },
      schema: {
        tags: ['orgs'],
        operationId: 'createOrg',
        summary: 'Create an organisation; you become its owner',
        body: z.strictObject({ name: orgNameSchema }),
        response: { 201: orgSchema },
      },
    },
    async (request, reply) => {
      const { userId } = requireUser(request);
      const now = clock.now();
      const org = await database.transaction(async (transaction) => {
        const { rows } = await transaction.query<OrgRow>(
          'INSERT INTO orgs (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING *',
          [request.body.name, now],
        );
        const row = rows[0];
        if (row === undefined) throw new Error('INSERT INTO orgs returned no row');
        await tenantScope(transaction, row.id).insert('memberships', {
          user_id: userId,
          role: 'owner',
          created_at: now,
        });
        await recordAudit(transaction, actorOf(request), {
          action: 'org.create',
          targetType: 'org',
          targetId: row.id,
          orgId: row.id,
          details: { name: row.name },
        });
        return row;
      });
      return reply.status(201).send(toOrg(org, 'owner'));
    },
  );

  app.get(
    '/v1/orgs/:orgId',
    {
      config: { access: { auth: 'org', permission: 'org:read' } },
      schema: {
        tags: ['orgs'],
        operationId: 'getOrg',
        summary: 'One organisation',
        params: orgParams,
        response: { 200: orgSchema },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      return toOrg(await findOrg(org.id), org.role);
    },
  );

  app.patch(
    '/v1/orgs/:orgId',
    {
      config: { access: { auth: 'org', permission: 'org:update' } },
      schema: {
        tags: ['orgs'],
        operationId: 'updateOrg',
        summary: 'Rename an organisation',
        params: orgParams,
        body: z.strictObject({ name: orgNameSchema }),
        response: { 200: orgSchema },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const updated = await database.transaction(async (transaction) => {
        const { rows } = await transaction.query<OrgRow>(
          'UPDATE orgs SET name = $2, updated_at = $3 WHERE id = $1 RETURNING *',
          [org.id, request.body.name, clock.now()],
        );
        await recordAudit(transaction, actorOf(request), {
          action: 'org.update',
          targetType: 'org',
          targetId: org.id,
          orgId: org.id,
          details: { name: request.body.name },
        });
        return rows[0];
      });
      if (updated === undefined) throw notFound('organisation');
      return toOrg(updated, org.role);
    },
  );

  app.delete(
    '/v1/orgs/:orgId',
    {
      config: { access: { auth: 'org', permission: 'org:delete', allowApiTokens: false } },
      schema: {
        tags: ['orgs'],
        operationId: 'deleteOrg',
        summary: 'Delete an organisation and everything in it',
        params: orgParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      await database.transaction(async (transaction) => {
        await transaction.query('DELETE FROM orgs WHERE id = $1', [org.id]);
        // The organisation's own audit rows go with it; this platform-level event remains.
        await recordAudit(transaction, actorOf(request), {
          action: 'org.delete',
          targetType: 'org',
          targetId: org.id,
        });
      });
      return reply.status(204).send(null);
    },
  );
}
