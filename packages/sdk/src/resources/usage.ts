import type { QueryParameters } from '../http/operation-types.js';
import { orgHeader, unwrap } from '../http/unwrap.js';
import { type APIClient, type OrgCallOptions, signalOf } from './resource-context.js';

/**
 * What an organisation's jobs used: units, tokens and cost by model and price-table version.
 *
 * @example
 * ```ts
 * const usage = await client.usage.get({ from: '2026-11-01T00:00:00Z' });
 * console.log(usage.total.cost, usage.rows.map((row) => row.model));
 * ```
 */
export function createUsageResource(api: APIClient) {
  return {
    /** Usage of the jobs created from `from` (default: 30 days before `to`) to `to` (default: now). */
    get: (query: QueryParameters<'/v1/usage', 'get'> = {}, options?: OrgCallOptions) =>
      unwrap(api.GET('/v1/usage', { params: { query, ...orgHeader(options?.orgId) }, ...signalOf(options) })),
  };
}

/** The `client.usage` resource. @example `const { total } = await client.usage.get();` */
export type UsageResource = ReturnType<typeof createUsageResource>;
