import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import type { ProviderKeyRow } from '../db/rows.js';
import { tenantScope } from '../db/tenant-scope.js';
import { orgHeadersSchema, requireOrg, requirePrincipal } from '../http/access-control.js';
import { notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { decodeCursor, pageQuerySchema, pageSchema, timestampSchema, toPage } from '../http/schemas.js';
import { storeProviderKey } from './provider-key-store.js';

const providerSchema = z.enum(['openai', 'anthropic', 'openai-compatible']).meta({ id: 'ProviderName' });

/** A provider key as the API shows it: never the key, only a hint. */
export const providerKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    provider: providerSchema,
    baseUrl: z.string().nullable(),
    hint: z.string().describe('Prefix and last four characters, e.g. "sk-…abcd".'),
    createdAt: timestampSchema,
  })
  .meta({ id: 'ProviderKey' });

function toProviderKey(row: ProviderKeyRow): z.infer<typeof providerKeySchema> {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    baseUrl: row.base_url,
    hint: row.hint,
    createdAt: row.created_at.toISOString(),
  };
}

const createBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    provider: providerSchema,
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .max(500)
      .optional()
      .describe('Required for openai-compatible; overrides the default endpoint otherwise.'),
    apiKey: z.string().trim().min(8).max(1000).describe('Encrypted at rest; never returned.'),
  })
  .refine((body) => body.provider !== 'openai-compatible' || body.baseUrl !== undefined, {
    message: 'baseUrl is required for openai-compatible providers',
    path: ['baseUrl'],
  });

/**
 * Provider keys of an organisation: stored encrypted (AES-256-GCM), listed with a hint only,
 * deletable. No route ever returns a key after it was created.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [providerKeyRoutes] });
 * ```
 */
export function providerKeyRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock, keyRing } = context;
  const keyParams = z.object({ keyId: z.uuid() });

  app.get(
    '/v1/provider-keys',
    {
      config: { access: { auth: 'org', permission: 'provider-keys:read' } },
      schema: {
        tags: ['provider-keys'],
        operationId: 'listProviderKeys',
        summary: 'Provider keys of the organisation (hints only)',
        headers: orgHeadersSchema,
        querystring: pageQuerySchema,
        response: { 200: pageSchema(providerKeySchema) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const after = decodeCursor(request.query.cursor);
      const rows = await org.scope.list('provider_keys', {
        limit: request.query.limit + 1,
        ...(after === undefined ? {} : { after }),
      });
      return toPage(rows, request.query.limit, toProviderKey);
    },
  );

  app.post(
    '/v1/provider-keys',
    {
      config: { access: { auth: 'org', permission: 'provider-keys:write' } },
      schema: {
        tags: ['provider-keys'],
        operationId: 'createProviderKey',
        summary: 'Store a provider key (encrypted); only a hint is ever shown again',
        headers: orgHeadersSchema,
        body: createBody,
        response: { 201: providerKeySchema },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const principal = requirePrincipal(request);
      const { name, provider, baseUrl, apiKey } = request.body;
      const row = await database.transaction(async (transaction) => {
        const stored = await storeProviderKey(transaction, keyRing, org.id, {
          name,
          provider,
          baseUrl: baseUrl ?? null,
          apiKey,
          createdBy: principal.userId,
          createdAt: clock.now(),
        });
        await recordAudit(transaction, actorOf(request), {
          action: 'provider-key.create',
          targetType: 'provider-key',
          targetId: stored.id,
          orgId: org.id,
          details: { name, provider },
        });
        return stored;
      });
      return reply.status(201).send(toProviderKey(row));
    },
  );

  app.get(
    '/v1/provider-keys/:keyId',
    {
      config: { access: { auth: 'org', permission: 'provider-keys:read' } },
      schema: {
        tags: ['provider-keys'],
        operationId: 'getProviderKey',
        summary: 'One provider key (hint only)',
        headers: orgHeadersSchema,
        params: keyParams,
        response: { 200: providerKeySchema },
      },
    },
    async (request) => {
      const row = await requireOrg(request).scope.findOne('provider_keys', { id: request.params.keyId });
      if (row === undefined) throw notFound('provider key');
      return toProviderKey(row);
    },
  );

  app.delete(
    '/v1/provider-keys/:keyId',
    {
      config: { access: { auth: 'org', permission: 'provider-keys:write' } },
      schema: {
        tags: ['provider-keys'],
        operationId: 'deleteProviderKey',
        summary: 'Delete a provider key',
        headers: orgHeadersSchema,
        params: keyParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { keyId } = request.params;
      await database.transaction(async (transaction) => {
        const removed = await tenantScope(transaction, org.id).remove('provider_keys', { id: keyId });
        if (removed === 0) throw notFound('provider key');
        await recordAudit(transaction, actorOf(request), {
          action: 'provider-key.delete',
          targetType: 'provider-key',
          targetId: keyId,
          orgId: org.id,
        });
      });
      return reply.status(204).send(null);
    },
  );
}
