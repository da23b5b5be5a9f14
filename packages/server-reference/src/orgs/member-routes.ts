import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import type { Role } from '../db/rows.js';
import { tenantScope } from '../db/tenant-scope.js';
import { requireOrg, requirePrincipal } from '../http/access-control.js';
import { ApiError, forbidden, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { roleSchema, timestampSchema } from '../http/schemas.js';
import { allows } from './permissions.js';

/** A member of an organisation. */
export const memberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    joinedAt: timestampSchema,
  })
  .meta({ id: 'Member' });

const memberParams = z.object({ orgId: z.uuid(), userId: z.uuid() });
const lastOwner = () =>
  new ApiError({
    code: 'conflict',
    message: 'An organisation needs an owner; make someone else owner first',
  });

/**
 * Members of an organisation: list, change a role, remove (or leave).
 * Only owners grant, change or remove the owner role, and the last owner cannot go.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [memberRoutes] });
 * ```
 */
export function memberRoutes(app: ApiApp, context: AppContext): void {
  const { database } = context;

  app.get(
    '/v1/orgs/:orgId/members',
    {
      config: { access: { auth: 'org', permission: 'members:read' } },
      schema: {
        tags: ['members'],
        operationId: 'listMembers',
        summary: 'Members of an organisation',
        params: z.object({ orgId: z.uuid() }),
        response: { 200: z.object({ data: z.array(memberSchema) }) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const members = await org.scope.list('memberships', { limit: 1000 });
      const { rows: users } = await database.query<{ id: string; email: string; name: string }>(
        'SELECT id, email, name FROM users WHERE id = ANY($1::uuid[])',
        [members.map((member) => member.user_id)],
      );
      const byId = new Map(users.map((user) => [user.id, user]));
      return {
        data: members.map((member) => ({
          userId: member.user_id,
          email: byId.get(member.user_id)?.email ?? '',
          name: byId.get(member.user_id)?.name ?? '',
          role: member.role,
          joinedAt: member.created_at.toISOString(),
        })),
      };
    },
  );

  app.patch(
    '/v1/orgs/:orgId/members/:userId',
    {
      config: { access: { auth: 'org', permission: 'members:write' } },
      schema: {
        tags: ['members'],
        operationId: 'updateMember',
        summary: "Change a member's role",
        params: memberParams,
        body: z.strictObject({ role: roleSchema }),
        response: { 200: z.object({ userId: z.uuid(), role: roleSchema }) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const { userId } = request.params;
      const role: Role = request.body.role;
      await database.transaction(async (transaction) => {
        const scope = tenantScope(transaction, org.id);
        const member = await scope.findOne('memberships', { user_id: userId });
        if (member === undefined) throw notFound('member');
        if ((member.role === 'owner' || role === 'owner') && org.role !== 'owner')
          throw forbidden('members:owner');
        if (
          member.role === 'owner' &&
          role !== 'owner' &&
          (await scope.count('memberships', { role: 'owner' })) <= 1
        ) {
          throw lastOwner();
        }
        await scope.update('memberships', { user_id: userId }, { role });
        await recordAudit(transaction, actorOf(request), {
          action: 'member.update',
          targetType: 'user',
          targetId: userId,
          orgId: org.id,
          details: { from: member.role, to: role },
        });
      });
      return { userId, role };
    },
  );

  app.delete(
    '/v1/orgs/:orgId/members/:userId',
    {
      config: { access: { auth: 'org', permission: 'members:read' } },
      schema: {
        tags: ['members'],
        operationId: 'removeMember',
        summary: 'Remove a member (admins), or leave the organisation (anyone, with your own user id)',
        params: memberParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const principal = requirePrincipal(request);
      const { userId } = request.params;
      const leaving = principal.kind === 'user' && principal.userId === userId;
      if (!leaving && !allows(org.role, 'members:write')) throw forbidden('members:write');
      await database.transaction(async (transaction) => {
        const scope = tenantScope(transaction, org.id);
        const member = await scope.findOne('memberships', { user_id: userId });
        if (member === undefined) throw notFound('member');
        if (member.role === 'owner' && !leaving && org.role !== 'owner') throw forbidden('members:owner');
        if (member.role === 'owner' && (await scope.count('memberships', { role: 'owner' })) <= 1)
          throw lastOwner();
        await scope.remove('memberships', { user_id: userId });
        await recordAudit(transaction, actorOf(request), {
          action: leaving ? 'member.leave' : 'member.remove',
          targetType: 'user',
          targetId: userId,
          orgId: org.id,
          details: { role: member.role },
        });
      });
      return reply.status(204).send(null);
    },
  );
}
