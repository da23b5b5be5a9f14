export type { ClientOptions, LLMBatchClient } from './client.js';
export { createClient } from './client.js';
export type { APIErrorCode, APIErrorOptions } from './errors.js';
export {
  APIConnectionError,
  APITimeoutError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  LLMBatchAPIError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  retryAfterMs,
  UnprocessableEntityError,
} from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export { errorFromResponse, readErrorResponse } from './http/error-from-response.js';
export type { JsonBody, JsonResponse, QueryParameters } from './http/operation-types.js';
export type { FetchFunction, RetryingFetch, RetryingFetchOptions } from './http/retrying-fetch.js';
export { attemptsOf, canRetry, createRetryingFetch } from './http/retrying-fetch.js';
export type { Page, PageIterator } from './pagination.js';
export { paginate } from './pagination.js';
export type { AdminResource } from './resources/admin.js';
export type { ApiTokensResource } from './resources/api-tokens.js';
export type { AuditEventsResource } from './resources/audit-events.js';
export type { AuthResource } from './resources/auth.js';
export type { DownloadUrlOptions, FilesResource, UploadOptions } from './resources/files.js';
export type {
  CreateJobOptions,
  JobEvent,
  JobResultRow,
  JobsResource,
  WaitOptions,
} from './resources/jobs.js';
export type { OrgsResource } from './resources/orgs.js';
export type { ProviderKeysResource } from './resources/provider-keys.js';
export type { APIClient, CallOptions, OrgCallOptions } from './resources/resource-context.js';
export type { UsageResource } from './resources/usage.js';
export type { EventStreamConnection, EventStreamOptions } from './streaming/event-stream.js';
export { reconnectingEventStream } from './streaming/event-stream.js';
export { JsonLinesParseError, readJsonLines } from './streaming/json-lines.js';
export type { ServerSentEvent } from './streaming/server-sent-events.js';
export { parseServerSentEvents, readLines } from './streaming/server-sent-events.js';
export type { UploadBody, UploadSource } from './streaming/upload-body.js';
export { iterableToStream, toUploadBody } from './streaming/upload-body.js';
