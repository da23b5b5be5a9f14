import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { consumeAttempt } from '../auth/attempt-limiter.js';
import { generateToken, hashToken } from '../crypto/tokens.js';
import type { InvitationRow, Role } from '../db/rows.js';
import { tenantScope } from '../db/tenant-scope.js';
import { requireOrg, requireUser } from '../http/access-control.js';
import { ApiError, forbidden, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { emailSchema, roleSchema, timestampSchema } from '../http/schemas.js';
import { deliver } from '../mail/deliver.js';
import { invitationMail } from '../mail/templates.js';

/** Days an invitation stays valid. */
export const invitationLifetimeDays = 7;

/** An invitation to join an organisation. */
export const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: roleSchema,
    status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
    expiresAt: timestampSchema,
    createdAt: timestampSchema,
  })
  .meta({ id: 'Invitation' });

function toInvitation(row: InvitationRow, now: Date): z.infer<typeof invitationSchema> {
  const status =
    row.accepted_at !== null
      ? 'accepted'
      : row.revoked_at !== null
        ? 'revoked'
        : row.expires_at.getTime() <= now.getTime()
          ? 'expired'
          : 'pending';
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status,
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Invitations: admins invite an address with a role (a mail with a single-use link goes out), list
 * and revoke them; the invited user accepts while logged in with that address.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [invitationRoutes] });
 * ```
 */
export function invitationRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock } = context;

  app.get(
    '/v1/orgs/:orgId/invitations',
    {
      config: { access: { auth: 'org', permission: 'invitations:read' } },
      schema: {
        tags: ['members'],
        operationId: 'listInvitations',
        summary: 'Invitations of an organisation',
        params: z.object({ orgId: z.uuid() }),
        response: { 200: z.object({ data: z.array(invitationSchema) }) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const now = clock.now();
      const rows = await org.scope.list('invitations', { direction: 'desc', limit: 1000 });
      return { data: rows.map((row) => toInvitation(row, now)) };
    },
  );

  app.post(
    '/v1/orgs/:orgId/invitations',
    {
      config: { access: { auth: 'org', permission: 'invitations:write' } },
      schema: {
        tags: ['members'],
        operationId: 'createInvitation',
        summary: 'Invite an e-mail address to join with a role',
        params: z.object({ orgId: z.uuid() }),
        body: z.strictObject({ email: emailSchema, role: roleSchema }),
        response: { 201: invitationSchema },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { email } = request.body;
      const role: Role = request.body.role;
      if (role === 'owner' && org.role !== 'owner') throw forbidden('members:owner');
      const now = clock.now();
      const token = generateToken('lbi_');
      const { invitation, orgName } = await database.transaction(async (transaction) => {
        const { rows } = await transaction.query<{ name: string; member: boolean }>(
          `SELECT o.name, EXISTS (
             SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
              WHERE m.org_id = o.id AND lower(u.email) = lower($2)) AS member
             FROM orgs o WHERE o.id = $1`,
          [org.id, email],
        );
        if (rows[0]?.member === true)
          throw new ApiError({ code: 'conflict', message: 'This address is already a member' });
        const row = await tenantScope(transaction, org.id).insert('invitations', {
          email,
          role,
          token_hash: hashToken(token),
          invited_by: request.principal?.userId ?? null,
          expires_at: new Date(now.getTime() + invitationLifetimeDays * 86_400_000),
          created_at: now,
        });
        await recordAudit(transaction, actorOf(request), {
          action: 'invitation.create',
          targetType: 'invitation',
          targetId: row.id,
          orgId: org.id,
          details: { email, role },
        });
        return { invitation: row, orgName: rows[0]?.name ?? '' };
      });
      await deliver(
        context.mailer,
        request,
        invitationMail(
          { appUrl: context.config.appUrl },
          email,
          orgName,
          role,
          token,
          invitationLifetimeDays,
        ),
      );
      return reply.status(201).send(toInvitation(invitation, now));
    },
  );

  app.delete(
    '/v1/orgs/:orgId/invitations/:invitationId',
    {
      config: { access: { auth: 'org', permission: 'invitations:write' } },
      schema: {
        tags: ['members'],
        operationId: 'revokeInvitation',
        summary: 'Revoke an invitation',
        params: z.object({ orgId: z.uuid(), invitationId: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { invitationId } = request.params;
      await database.transaction(async (transaction) => {
        const updated = await tenantScope(transaction, org.id).update(
          'invitations',
          { id: invitationId, accepted_at: null, revoked_at: null },
          { revoked_at: clock.now() },
        );
        if (updated.length === 0) throw notFound('invitation');
        await recordAudit(transaction, actorOf(request), {
          action: 'invitation.revoke',
          targetType: 'invitation',
          targetId: invitationId,
          orgId: org.id,
        });
      });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/v1/invitations/accept',
    {
      config: { access: { auth: 'user' } },
      schema: {
        tags: ['members'],
        operationId: 'acceptInvitation',
        summary: 'Join an organisation with the token from an invitation mail',
        body: z.strictObject({ token: z.string().min(1).max(200) }),
        response: { 200: z.object({ orgId: z.uuid(), role: roleSchema }) },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const now = clock.now();
      await consumeAttempt(
        database,
        [{ key: `token:ip:${request.ip}`, limit: context.attemptLimits.tokenPerIp }],
        now,
      );
      return database.transaction(async (transaction) => {
        // Found by the secret token itself, across organisations: holding it is what grants access.
        const { rows } = await transaction.query<InvitationRow>(
          `SELECT * FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL
              AND expires_at > $2 FOR UPDATE`,
          [hashToken(request.body.token), now],
        );
        const invitation = rows[0];
        if (invitation === undefined) {
          throw new ApiError({
            code: 'invalid-token',
            message: 'This invitation is not valid: used, revoked or expired',
          });
        }
        if (invitation.email.toLowerCase() !== principal.email.toLowerCase()) {
          throw new ApiError({ code: 'forbidden', message: 'This invitation is for another e-mail address' });
        }
        const scope = tenantScope(transaction, invitation.org_id);
        await scope.update('invitations', { id: invitation.id }, { accepted_at: now });
        const existing = await scope.findOne('memberships', { user_id: principal.userId });
        if (existing === undefined) {
          await scope.insert('memberships', {
            user_id: principal.userId,
            role: invitation.role,
            created_at: now,
          });
        }
        await recordAudit(transaction, actorOf(request), {
          action: 'invitation.accept',
          targetType: 'invitation',
          targetId: invitation.id,
          orgId: invitation.org_id,
          details: { role: existing?.role ?? invitation.role },
        });
        return { orgId: invitation.org_id, role: existing?.role ?? invitation.role };
      });
    },
  );
}
