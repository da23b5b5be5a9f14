import type { JsonBody, QueryParameters } from '../http/operation-types.js';
import { orgHeader, unwrap } from '../http/unwrap.js';
import { paginate } from '../pagination.js';
import { type APIClient, type OrgCallOptions, signalOf } from './resource-context.js';

/**
 * Provider API keys of an organisation, stored encrypted; answers show only a hint of the key.
 *
 * @example
 * ```ts
 * await client.providerKeys.create({ name: 'openai prod', provider: 'openai', apiKey: process.env.OPENAI_API_KEY });
 * ```
 */
export function createProviderKeysResource(api: APIClient) {
  return {
    /** Every key, across pages. */
    list: (
      query: Omit<QueryParameters<'/v1/provider-keys', 'get'>, 'cursor'> = {},
      options?: OrgCallOptions,
    ) =>
      paginate((cursor) =>
        unwrap(
          api.GET('/v1/provider-keys', {
            params: {
              query: { ...query, ...(cursor === undefined ? {} : { cursor }) },
              ...orgHeader(options?.orgId),
            },
            ...signalOf(options),
          }),
        ),
      ),
    /** Stores a key. */
    create: (body: JsonBody<'/v1/provider-keys', 'post'>, options?: OrgCallOptions) =>
      unwrap(
        api.POST('/v1/provider-keys', { body, params: orgHeader(options?.orgId), ...signalOf(options) }),
      ),
    /** One key (without its secret). */
    get: (keyId: string, options?: OrgCallOptions) =>
      unwrap(
        api.GET('/v1/provider-keys/{keyId}', {
          params: { path: { keyId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      ),
    /** Deletes a key. */
    delete: async (keyId: string, options?: OrgCallOptions): Promise<void> => {
      await unwrap(
        api.DELETE('/v1/provider-keys/{keyId}', {
          params: { path: { keyId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      );
    },
  };
}

/** The `client.providerKeys` resource. @example `const keys = await client.providerKeys.list().toArray();` */
export type ProviderKeysResource = ReturnType<typeof createProviderKeysResource>;
