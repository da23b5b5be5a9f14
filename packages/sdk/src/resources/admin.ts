import type { QueryParameters } from '../http/operation-types.js';
import { unwrap } from '../http/unwrap.js';
import { paginate } from '../pagination.js';
import { type APIClient, type CallOptions, signalOf } from './resource-context.js';

function withCursor<Query extends object>(
  query: Query,
  cursor: string | undefined,
): Query & { cursor?: string } {
  return cursor === undefined ? query : { ...query, cursor };
}

/**
 * Instance administration (users with the admin flag only): users, organisations, suspension, audit.
 *
 * @example
 * ```ts
 * for await (const user of client.admin.users.list({ email: 'ada@' })) console.log(user.email);
 * ```
 */
export function createAdminResource(api: APIClient) {
  return {
    users: {
      /** Every user, across pages. */
      list: (query: Omit<QueryParameters<'/v1/admin/users', 'get'>, 'cursor'> = {}, options?: CallOptions) =>
        paginate((cursor) =>
          unwrap(
            api.GET('/v1/admin/users', {
              params: { query: withCursor(query, cursor) },
              ...signalOf(options),
            }),
          ),
        ),
      /** Suspends a user (their sessions and tokens stop working). */
      suspend: (userId: string, options?: CallOptions) =>
        unwrap(
          api.POST('/v1/admin/users/{userId}/suspend', {
            params: { path: { userId } },
            ...signalOf(options),
          }),
        ),
      /** Lifts a user's suspension. */
      unsuspend: (userId: string, options?: CallOptions) =>
        unwrap(
          api.POST('/v1/admin/users/{userId}/unsuspend', {
            params: { path: { userId } },
            ...signalOf(options),
          }),
        ),
    },
    orgs: {
      /** Every organisation, across pages. */
      list: (query: Omit<QueryParameters<'/v1/admin/orgs', 'get'>, 'cursor'> = {}, options?: CallOptions) =>
        paginate((cursor) =>
          unwrap(
            api.GET('/v1/admin/orgs', { params: { query: withCursor(query, cursor) }, ...signalOf(options) }),
          ),
        ),
      /** Suspends an organisation. */
      suspend: (orgId: string, options?: CallOptions) =>
        unwrap(
          api.POST('/v1/admin/orgs/{orgId}/suspend', { params: { path: { orgId } }, ...signalOf(options) }),
        ),
      /** Lifts an organisation's suspension. */
      unsuspend: (orgId: string, options?: CallOptions) =>
        unwrap(
          api.POST('/v1/admin/orgs/{orgId}/unsuspend', { params: { path: { orgId } }, ...signalOf(options) }),
        ),
    },
    auditEvents: {
      /** The instance-wide audit log, across pages. */
      list: (
        query: Omit<QueryParameters<'/v1/admin/audit-events', 'get'>, 'cursor'> = {},
        options?: CallOptions,
      ) =>
        paginate((cursor) =>
          unwrap(
            api.GET('/v1/admin/audit-events', {
              params: { query: withCursor(query, cursor) },
              ...signalOf(options),
            }),
          ),
        ),
    },
  };
}

/** The `client.admin` resource. @example `await client.admin.users.suspend(userId);` */
export type AdminResource = ReturnType<typeof createAdminResource>;
