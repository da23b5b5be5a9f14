import type { Client } from 'openapi-fetch';
import type { paths } from '../generated/openapi.js';

/**
 * The typed openapi-fetch client for the llmbatch API.
 *
 * @example
 * ```ts
 * const api: APIClient = client.api;
 * ```
 */
export type APIClient = Client<paths>;

/**
 * Per-call options of methods on routes that act in one organisation.
 *
 * @example
 * ```ts
 * await client.providerKeys.get(keyId, { orgId, signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface OrgCallOptions {
  /** The organisation to act in (sent as `llmbatch-org`). @default the client's `orgId`, or the API token's organisation */
  orgId?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Per-call options of every other method.
 *
 * @example
 * ```ts
 * await client.orgs.list({ signal: controller.signal });
 * ```
 */
export interface CallOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Passes an optional signal to openapi-fetch without writing `signal: undefined`.
 *
 * @example
 * ```ts
 * api.GET('/v1/orgs', { ...signalOf(options) });
 * ```
 */
export function signalOf(options: CallOptions | undefined): { signal?: AbortSignal } {
  return options?.signal === undefined ? {} : { signal: options.signal };
}
