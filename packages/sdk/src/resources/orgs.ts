import type { JsonBody } from '../http/operation-types.js';
import { unwrap } from '../http/unwrap.js';
import { type APIClient, type CallOptions, signalOf } from './resource-context.js';

/**
 * Organisations, their members and invitations.
 *
 * @example
 * ```ts
 * const { data: orgs } = await client.orgs.list();
 * await client.orgs.invitations.create(orgs[0].id, { email: 'ada@example.com', role: 'member' });
 * ```
 */
export function createOrgsResource(api: APIClient) {
  const path = (orgId: string) => ({ path: { orgId } });
  return {
    /** The organisations the caller belongs to. */
    list: (options?: CallOptions) => unwrap(api.GET('/v1/orgs', { ...signalOf(options) })),
    /** Creates an organisation with the caller as owner. */
    create: (body: JsonBody<'/v1/orgs', 'post'>, options?: CallOptions) =>
      unwrap(api.POST('/v1/orgs', { body, ...signalOf(options) })),
    /** One organisation. */
    get: (orgId: string, options?: CallOptions) =>
      unwrap(api.GET('/v1/orgs/{orgId}', { params: path(orgId), ...signalOf(options) })),
    /** Renames an organisation. */
    update: (orgId: string, body: JsonBody<'/v1/orgs/{orgId}', 'patch'>, options?: CallOptions) =>
      unwrap(api.PATCH('/v1/orgs/{orgId}', { params: path(orgId), body, ...signalOf(options) })),
    /** Deletes an organisation (owners only). */
    delete: async (orgId: string, options?: CallOptions): Promise<void> => {
      await unwrap(api.DELETE('/v1/orgs/{orgId}', { params: path(orgId), ...signalOf(options) }));
    },
    members: {
      /** The members of an organisation. */
      list: (orgId: string, options?: CallOptions) =>
        unwrap(api.GET('/v1/orgs/{orgId}/members', { params: path(orgId), ...signalOf(options) })),
      /** Changes a member's role. */
      update: (
        orgId: string,
        userId: string,
        body: JsonBody<'/v1/orgs/{orgId}/members/{userId}', 'patch'>,
        options?: CallOptions,
      ) =>
        unwrap(
          api.PATCH('/v1/orgs/{orgId}/members/{userId}', {
            params: { path: { orgId, userId } },
            body,
            ...signalOf(options),
          }),
        ),
      /** Removes a member. */
      remove: async (orgId: string, userId: string, options?: CallOptions): Promise<void> => {
        await unwrap(
          api.DELETE('/v1/orgs/{orgId}/members/{userId}', {
            params: { path: { orgId, userId } },
            ...signalOf(options),
          }),
        );
      },
    },
    invitations: {
      /** Open invitations of an organisation. */
      list: (orgId: string, options?: CallOptions) =>
        unwrap(api.GET('/v1/orgs/{orgId}/invitations', { params: path(orgId), ...signalOf(options) })),
      /** Invites someone by email (they get a link with a token). */
      create: (
        orgId: string,
        body: JsonBody<'/v1/orgs/{orgId}/invitations', 'post'>,
        options?: CallOptions,
      ) =>
        unwrap(api.POST('/v1/orgs/{orgId}/invitations', { params: path(orgId), body, ...signalOf(options) })),
      /** Revokes an open invitation. */
      revoke: async (orgId: string, invitationId: string, options?: CallOptions): Promise<void> => {
        await unwrap(
          api.DELETE('/v1/orgs/{orgId}/invitations/{invitationId}', {
            params: { path: { orgId, invitationId } },
            ...signalOf(options),
          }),
        );
      },
      /** Accepts an invitation with the token from its mail, as the signed-in user. */
      accept: (body: JsonBody<'/v1/invitations/accept', 'post'>, options?: CallOptions) =>
        unwrap(api.POST('/v1/invitations/accept', { body, ...signalOf(options) })),
    },
  };
}

/** The `client.orgs` resource. @example `const org = await client.orgs.get(orgId);` */
export type OrgsResource = ReturnType<typeof createOrgsResource>;
