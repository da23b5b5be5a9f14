import type { FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { authenticate } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import type { Role } from '../db/rows.js';
import { tenantScope } from '../db/tenant-scope.js';
import { allows } from '../orgs/permissions.js';
import { ApiError, forbidden, notFound } from './api-error.js';
import type { AppContext } from './app-context.js';

/** Header naming the organisation a user session acts in, on routes without `{orgId}` in the path. */
export const orgHeader = 'llmbatch-org';

/**
 * Headers schema of routes that act in the organisation named by the API token or the header
 * (declared so it appears in the OpenAPI document; other headers pass through untouched).
 */
export const orgHeadersSchema = z.looseObject({
  [orgHeader]: z
    .uuid()
    .optional()
    .describe('The organisation to act in, for user sessions. API tokens imply their own organisation.'),
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requestedOrgId(request: FastifyRequest): string | undefined {
  const fromPath = (request.params as Record<string, string | undefined> | undefined)?.orgId;
  if (fromPath !== undefined) return fromPath;
  const fromHeader = request.headers[orgHeader];
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

async function resolveOrg(
  context: AppContext,
  request: FastifyRequest,
  principal: Principal,
): Promise<{ id: string; role: Role }> {
  const requested = requestedOrgId(request);
  if (principal.kind === 'api-token') {
    // An API token serves exactly one organisation; any other id looks like one that does not exist.
    if (requested !== undefined && requested !== principal.orgId) throw notFound('organisation');
    return { id: principal.orgId, role: principal.role };
  }
  if (requested === undefined) {
    throw new ApiError({
      code: 'org-required',
      message: `Name the organisation in the "${orgHeader}" header`,
      details: { header: orgHeader },
    });
  }
  if (!uuidPattern.test(requested)) throw notFound('organisation');
  const { rows } = await context.database.query<{ role: Role; suspended_at: Date | null }>(
    `SELECT m.role, o.suspended_at FROM memberships m JOIN orgs o ON o.id = m.org_id
      WHERE m.org_id = $1 AND m.user_id = $2`,
    [requested, principal.userId],
  );
  const membership = rows[0];
  if (membership === undefined) throw notFound('organisation');
  if (membership.suspended_at !== null)
    throw new ApiError({ code: 'suspended', message: 'This organisation is suspended' });
  return { id: requested, role: membership.role };
}

/**
 * The `onRequest` hook that enforces each route's {@link RouteAccess} before the body is even read:
 * authenticates, checks the platform flag, resolves the organisation and checks the role.
 * Another organisation's id answers 404, exactly like an id that does not exist.
 *
 * @example
 * ```ts
 * app.addHook('onRequest', accessControl(context));
 * ```
 */
export function accessControl(context: AppContext) {
  return async function enforceAccess(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.principal = null;
    request.org = null;
    const access = request.routeOptions.config.access;
    if (access === undefined) {
      if (request.is404) return;
      throw new ApiError({ code: 'internal', message: 'Internal server error' });
    }
    if (access.auth === 'public') return;
    const principal = await authenticate(context, request.headers.authorization);
    if (principal === null) {
      throw new ApiError({
        code: 'unauthenticated',
        message: 'Send credentials as "Authorization: Bearer <token>"',
      });
    }
    request.principal = principal;
    let log = request.log.child({ userId: principal.userId });
    if (access.auth === 'user' && principal.kind !== 'user') {
      throw new ApiError({
        code: 'forbidden',
        message: 'This route needs a logged-in user, not an API token',
      });
    }
    if (access.auth === 'superadmin' && !(principal.kind === 'user' && principal.isSuperadmin)) {
      throw new ApiError({ code: 'forbidden', message: 'This route is for platform administrators' });
    }
    if (access.auth === 'org') {
      const org = await resolveOrg(context, request, principal);
      log = log.child({ orgId: org.id });
      if (principal.kind === 'api-token' && access.allowApiTokens === false) {
        throw new ApiError({
          code: 'forbidden',
          message: 'This route needs a logged-in user, not an API token',
        });
      }
      if (!allows(org.role, access.permission)) throw forbidden(access.permission);
      request.org = { ...org, scope: tenantScope(context.database, org.id) };
    }
    request.log = log;
    reply.log = log;
  };
}

/**
 * The organisation of a request on an `org` route (set by {@link accessControl}).
 *
 * @example
 * ```ts
 * const { scope, role } = requireOrg(request);
 * ```
 */
export function requireOrg(request: FastifyRequest): NonNullable<FastifyRequest['org']> {
  if (request.org === null) throw new ApiError({ code: 'internal', message: 'Internal server error' });
  return request.org;
}

/**
 * The authenticated caller of a non-public route.
 *
 * @example
 * ```ts
 * const principal = requirePrincipal(request);
 * ```
 */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal === null)
    throw new ApiError({ code: 'unauthenticated', message: 'Not authenticated' });
  return request.principal;
}

/**
 * The logged-in user of a `user` route.
 *
 * @example
 * ```ts
 * const { userId } = requireUser(request);
 * ```
 */
export function requireUser(request: FastifyRequest): Extract<Principal, { kind: 'user' }> {
  const principal = requirePrincipal(request);
  if (principal.kind !== 'user') throw new ApiError({ code: 'forbidden', message: 'Needs a logged-in user' });
  return principal;
}
