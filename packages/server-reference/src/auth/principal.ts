import type { Role } from '../db/rows.js';
import type { TenantScope } from '../db/tenant-scope.js';
import type { Permission } from '../orgs/permissions.js';

/**
 * Who is calling: a logged-in user (JWT access token) or an API token acting for one organisation.
 *
 * @example
 * ```ts
 * const actorId = principal.kind === 'user' ? principal.userId : principal.tokenId;
 * ```
 */
export type Principal =
  | {
      kind: 'user';
      /** The user. */
      userId: string;
      /** The login session (refresh-token family) the access token belongs to. */
      sessionId: string;
      /** The user's address. */
      email: string;
      /** Platform administrator (separate from any organisation role). */
      isSuperadmin: boolean;
    }
  | {
      kind: 'api-token';
      /** The API token. */
      tokenId: string;
      /** The member who created the token. */
      userId: string;
      /** The one organisation the token can act in. */
      orgId: string;
      /** The token's role, capped by its creator's current role. */
      role: Exclude<Role, 'owner'>;
    };

/** The organisation a request acts in, after membership and role were checked. */
export interface OrgContext {
  /** The organisation. */
  id: string;
  /** The caller's effective role in it. */
  role: Role;
  /** Queries on this organisation's tenant tables. */
  scope: TenantScope;
}

/**
 * Who may call a route. Every route declares one; a route without it fails at start-up.
 *
 * - `public`: anyone (health, sign-up, login, OpenAPI).
 * - `user`: a logged-in user (not an API token).
 * - `org`: a user or API token acting in an organisation, with `permission`. The organisation comes
 *   from the `orgId` path parameter, else the API token, else the `llmbatch-org` header.
 * - `superadmin`: a logged-in platform administrator.
 *
 * @example
 * ```ts
 * app.get('/v1/provider-keys', { config: { access: { auth: 'org', permission: 'provider-keys:read' } } }, handler);
 * ```
 */
export type RouteAccess =
  | { auth: 'public' }
  | { auth: 'user' }
  | { auth: 'org'; permission: Permission; allowApiTokens?: boolean }
  | { auth: 'superadmin' };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see {@link RouteAccess}). */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The authenticated caller, or null on public routes without credentials. */
    principal: Principal | null;
    /** The organisation the request acts in (routes with `auth: 'org'`). */
    org: OrgContext | null;
  }
}
