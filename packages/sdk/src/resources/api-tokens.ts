import type { JsonBody, QueryParameters } from '../http/operation-types.js';
import { orgHeader, unwrap } from '../http/unwrap.js';
import { paginate } from '../pagination.js';
import { type APIClient, type OrgCallOptions, signalOf } from './resource-context.js';

/**
 * API tokens (`lbk_…`) of an organisation.
 *
 * @example
 * ```ts
 * const { token } = await client.apiTokens.create({ name: 'ci', role: 'member' });
 * ```
 */
export function createApiTokensResource(api: APIClient) {
  return {
    /** Every token, across pages (members see their own). */
    list: (query: Omit<QueryParameters<'/v1/api-tokens', 'get'>, 'cursor'> = {}, options?: OrgCallOptions) =>
      paginate((cursor) =>
        unwrap(
          api.GET('/v1/api-tokens', {
            params: {
              query: { ...query, ...(cursor === undefined ? {} : { cursor }) },
              ...orgHeader(options?.orgId),
            },
            ...signalOf(options),
          }),
        ),
      ),
    /** Creates a token; its secret `token` is in this answer only. */
    create: (body: JsonBody<'/v1/api-tokens', 'post'>, options?: OrgCallOptions) =>
      unwrap(api.POST('/v1/api-tokens', { body, params: orgHeader(options?.orgId), ...signalOf(options) })),
    /** Revokes a token. */
    revoke: async (tokenId: string, options?: OrgCallOptions): Promise<void> => {
      await unwrap(
        api.DELETE('/v1/api-tokens/{tokenId}', {
          params: { path: { tokenId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      );
    },
  };
}

/** The `client.apiTokens` resource. @example `for await (const token of client.apiTokens.list()) console.log(token.name);` */
export type ApiTokensResource = ReturnType<typeof createApiTokensResource>;
