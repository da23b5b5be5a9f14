import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { apiTokenPrefix } from '../auth/authenticate.js';
import { generateToken, hashToken } from '../crypto/tokens.js';
import type { ApiTokenRow } from '../db/rows.js';
import { tenantScope } from '../db/tenant-scope.js';
import { orgHeadersSchema, requireOrg, requirePrincipal } from '../http/access-control.js';
import { forbidden, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import {
  apiTokenRoleSchema,
  decodeCursor,
  pageQuerySchema,
  pageSchema,
  timestampSchema,
  toPage,
} from '../http/schemas.js';
import { allows, atLeast } from '../orgs/permissions.js';

/** An API token as listed (the secret itself is shown once, at creation). */
export const apiTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: apiTokenRoleSchema,
    hint: z.string().describe('The first characters of the token, to recognise it.'),
    createdBy: z.uuid(),
    createdAt: timestampSchema,
    expiresAt: timestampSchema.nullable(),
    lastUsedAt: timestampSchema.nullable(),
    revokedAt: timestampSchema.nullable(),
  })
  .meta({ id: 'ApiToken' });

function toApiToken(row: ApiTokenRow): z.infer<typeof apiTokenSchema> {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    hint: row.token_hint,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/**
 * API tokens (`lbk_…`) for programmatic use, each scoped to one organisation and a role no higher
 * than its creator's. Members manage their own tokens; admins see and revoke all.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [apiTokenRoutes] });
 * ```
 */
export function apiTokenRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock } = context;

  app.get(
    '/v1/api-tokens',
    {
      config: { access: { auth: 'org', permission: 'api-tokens:read' } },
      schema: {
        tags: ['api-tokens'],
        operationId: 'listApiTokens',
        summary: 'API tokens of the organisation (members see their own)',
        headers: orgHeadersSchema,
        querystring: pageQuerySchema,
        response: { 200: pageSchema(apiTokenSchema) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const principal = requirePrincipal(request);
      const after = decodeCursor(request.query.cursor);
      const rows = await org.scope.list('api_tokens', {
        where: allows(org.role, 'members:write') ? {} : { created_by: principal.userId },
        limit: request.query.limit + 1,
        ...(after === undefined ? {} : { after }),
      });
      return toPage(rows, request.query.limit, toApiToken);
    },
  );

  app.post(
    '/v1/api-tokens',
    {
      config: { access: { auth: 'org', permission: 'api-tokens:write', allowApiTokens: false } },
      schema: {
        tags: ['api-tokens'],
        operationId: 'createApiToken',
        summary: 'Create an API token; the secret is in this response only',
        headers: orgHeadersSchema,
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          role: apiTokenRoleSchema,
          expiresInDays: z.number().int().min(1).max(3650).optional(),
        }),
        response: {
          201: z.object({
            apiToken: apiTokenSchema,
            token: z.string().describe('Shown once; store it now.'),
          }),
        },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const principal = requirePrincipal(request);
      const { name, role, expiresInDays } = request.body;
      if (!atLeast(org.role, role)) throw forbidden('api-tokens:role-above-yours');
      const now = clock.now();
      const token = generateToken(apiTokenPrefix);
      const row = await database.transaction(async (transaction) => {
        const inserted = await tenantScope(transaction, org.id).insert('api_tokens', {
          name,
          role,
          token_hash: hashToken(token),
          token_hint: `${token.slice(0, apiTokenPrefix.length + 6)}…`,
          created_by: principal.userId,
          created_at: now,
          expires_at:
            expiresInDays === undefined ? null : new Date(now.getTime() + expiresInDays * 86_400_000),
        });
        await recordAudit(transaction, actorOf(request), {
          action: 'api-token.create',
          targetType: 'api-token',
          targetId: inserted.id,
          orgId: org.id,
          details: { name, role },
        });
        return inserted;
      });
      return reply.status(201).send({ apiToken: toApiToken(row), token });
    },
  );

  app.delete(
    '/v1/api-tokens/:tokenId',
    {
      config: { access: { auth: 'org', permission: 'api-tokens:write' } },
      schema: {
        tags: ['api-tokens'],
        operationId: 'revokeApiToken',
        summary: 'Revoke an API token; it stops working at once',
        headers: orgHeadersSchema,
        params: z.object({ tokenId: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const principal = requirePrincipal(request);
      const { tokenId } = request.params;
      await database.transaction(async (transaction) => {
        const scope = tenantScope(transaction, org.id);
        const updated = await scope.update(
          'api_tokens',
          {
            id: tokenId,
            revoked_at: null,
            ...(allows(org.role, 'members:write') ? {} : { created_by: principal.userId }),
          },
          { revoked_at: clock.now() },
        );
        if (updated.length === 0) throw notFound('API token');
        await recordAudit(transaction, actorOf(request), {
          action: 'api-token.revoke',
          targetType: 'api-token',
          targetId: tokenId,
          orgId: org.id,
        });
      });
      return reply.status(204).send(null);
    },
  );
}
