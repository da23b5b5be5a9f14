import createFetchClient from 'openapi-fetch';
import type { paths } from './generated/openapi.js';
import { readErrorResponse } from './http/error-from-response.js';
import { createRetryingFetch, type FetchFunction } from './http/retrying-fetch.js';
import { createAdminResource } from './resources/admin.js';
import { createApiTokensResource } from './resources/api-tokens.js';
import { createAuditEventsResource } from './resources/audit-events.js';
import { createAuthResource } from './resources/auth.js';
import { createFilesResource } from './resources/files.js';
import { createJobsResource } from './resources/jobs.js';
import { createOrgsResource } from './resources/orgs.js';
import { createProviderKeysResource } from './resources/provider-keys.js';
import type { APIClient } from './resources/resource-context.js';
import { createUsageResource } from './resources/usage.js';

/**
 * Options of {@link createClient}.
 *
 * @example
 * ```ts
 * const options: ClientOptions = { baseUrl: 'http://127.0.0.1:8080', apiKey: 'lbk_…', maxRetries: 4 };
 * ```
 */
export interface ClientOptions {
  /** The server's URL, e.g. `https://llmbatch.example.com`. */
  baseUrl: string;
  /** An API token (`lbk_…`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Called before every request for a bearer token (e.g. a JWT you refresh); `undefined` sends none. */
  getToken?: () => string | undefined | Promise<string | undefined>;
  /** The organisation to act in, sent as `llmbatch-org` (API tokens imply their own). @default none */
  orgId?: string;
  /** The fetch to send requests with. @default globalThis.fetch */
  fetch?: FetchFunction;
  /** Time to wait for response headers, per attempt, in milliseconds. @default 60000 */
  timeoutMs?: number;
  /** Retries after the first attempt for connection errors, timeouts, 408/409/429/5xx. @default 2 */
  maxRetries?: number;
  /** Backoff before the first retry, doubled each retry, in milliseconds. @default 500 */
  initialRetryDelayMs?: number;
  /** Longest backoff between retries, in milliseconds. @default 8000 */
  maxRetryDelayMs?: number;
  /** Headers sent with every request. @default {} */
  headers?: Record<string, string>;
}

/**
 * A client of the llmbatch API. Every resource method is typed from the OpenAPI document; `api` is the
 * underlying openapi-fetch client (returning `{ data, error, response }`) for anything else.
 *
 * @example
 * ```ts
 * const client: LLMBatchClient = createClient({ baseUrl, apiKey });
 * const { user } = await client.auth.me();
 * ```
 */
export interface LLMBatchClient {
  /** The openapi-fetch client, with auth, retries and timeouts applied. */
  readonly api: APIClient;
  /** Sign-up, log-in, tokens, password reset, `me()`. */
  readonly auth: ReturnType<typeof createAuthResource>;
  /** Organisations, members, invitations. */
  readonly orgs: ReturnType<typeof createOrgsResource>;
  /** API tokens of an organisation. */
  readonly apiTokens: ReturnType<typeof createApiTokensResource>;
  /** Provider keys of an organisation. */
  readonly providerKeys: ReturnType<typeof createProviderKeysResource>;
  /** The audit log of an organisation. */
  readonly auditEvents: ReturnType<typeof createAuditEventsResource>;
  /** Units, tokens and cost of the organisation's jobs. */
  readonly usage: ReturnType<typeof createUsageResource>;
  /** Instance administration. */
  readonly admin: ReturnType<typeof createAdminResource>;
  /** Input files: streamed upload and download. */
  readonly files: ReturnType<typeof createFilesResource>;
  /** Batch jobs: create, follow, wait, cancel, results. */
  readonly jobs: ReturnType<typeof createJobsResource>;
  /**
   * Sends a request to `path` with the client's auth, org, timeout and retries, for routes that answer
   * something other than JSON (streams). Throws the typed error for an error status.
   */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** The same client acting in another organisation. */
  withOrg(orgId: string): LLMBatchClient;
}

/**
 * Creates a client of the llmbatch API. Works wherever a global `fetch` exists (Node ≥ 22, browsers,
 * edge runtimes).
 *
 * @example
 * ```ts
 * import { createClient } from '@llmbatch/sdk';
 *
 * const client = createClient({ baseUrl: 'https://llmbatch.example.com', apiKey: process.env.LLMBATCH_API_KEY });
 * for await (const key of client.providerKeys.list()) console.log(key.name, key.hint);
 * ```
 */
export function createClient(options: ClientOptions): LLMBatchClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const send = createRetryingFetch({
    fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
    timeoutMs: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 2,
    initialRetryDelayMs: options.initialRetryDelayMs ?? 500,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 8000,
  });

  const applyHeaders = async (headers: Headers): Promise<void> => {
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (!headers.has(name)) headers.set(name, value);
    }
    if (!headers.has('authorization')) {
      const token = options.apiKey ?? (await options.getToken?.());
      if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    }
    if (options.orgId !== undefined && !headers.has('llmbatch-org'))
      headers.set('llmbatch-org', options.orgId);
  };

  const api = createFetchClient<paths>({ baseUrl, fetch: send });
  api.use({
    async onRequest({ request }) {
      await applyHeaders(request.headers);
      return request;
    },
  });

  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    // `duplex` lets a streamed body through (Node's fetch requires it; browsers ignore it).
    const prepared = new Request(`${baseUrl}${path}`, {
      ...init,
      ...(init.body == null ? {} : { duplex: 'half' }),
    });
    await applyHeaders(prepared.headers);
    const response = await send(prepared);
    if (!response.ok) throw await readErrorResponse(response);
    return response;
  };

  return {
    api,
    auth: createAuthResource(api),
    orgs: createOrgsResource(api),
    apiTokens: createApiTokensResource(api),
    providerKeys: createProviderKeysResource(api),
    auditEvents: createAuditEventsResource(api),
    usage: createUsageResource(api),
    admin: createAdminResource(api),
    files: createFilesResource(api, request, send),
    jobs: createJobsResource(api, request),
    request,
    withOrg: (orgId) => createClient({ ...options, orgId }),
  };
}
