import { errorFromResponse } from './error-from-response.js';

/** What every openapi-fetch call resolves to. */
interface FetchResult<Data> {
  data?: Data;
  error?: unknown;
  response: Response;
}

/**
 * The data of an openapi-fetch result, or the typed {@link LLMBatchAPIError} for an error response.
 *
 * @example
 * ```ts
 * const orgs = await unwrap(api.GET('/v1/orgs'));
 * ```
 */
export async function unwrap<Data>(pending: Promise<FetchResult<Data>>): Promise<Data> {
  const { data, error, response } = await pending;
  if (!response.ok) throw errorFromResponse(response, error);
  return data as Data;
}

/**
 * The `llmbatch-org` header parameter for one call, or nothing (the client's `orgId` then applies).
 *
 * @example
 * ```ts
 * await api.GET('/v1/provider-keys', { params: { ...orgParameter(orgId) } });
 * ```
 */
export function orgHeader(orgId: string | undefined): { header?: { 'llmbatch-org': string } } {
  return orgId === undefined ? {} : { header: { 'llmbatch-org': orgId } };
}
