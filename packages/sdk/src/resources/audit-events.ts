import type { QueryParameters } from '../http/operation-types.js';
import { orgHeader, unwrap } from '../http/unwrap.js';
import { paginate } from '../pagination.js';
import { type APIClient, type OrgCallOptions, signalOf } from './resource-context.js';

/**
 * The audit log of an organisation, newest first.
 *
 * @example
 * ```ts
 * for await (const event of client.auditEvents.list({ action: 'provider-key.create' })) console.log(event);
 * ```
 */
export function createAuditEventsResource(api: APIClient) {
  return {
    /** Every event matching `query`, across pages. */
    list: (
      query: Omit<QueryParameters<'/v1/audit-events', 'get'>, 'cursor'> = {},
      options?: OrgCallOptions,
    ) =>
      paginate((cursor) =>
        unwrap(
          api.GET('/v1/audit-events', {
            params: {
              query: { ...query, ...(cursor === undefined ? {} : { cursor }) },
              ...orgHeader(options?.orgId),
            },
            ...signalOf(options),
          }),
        ),
      ),
  };
}

/** The `client.auditEvents` resource. @example `const events = await client.auditEvents.list().toArray();` */
export type AuditEventsResource = ReturnType<typeof createAuditEventsResource>;
