import type { components } from '../generated/openapi.js';
import type { JsonBody, QueryParameters } from '../http/operation-types.js';
import { orgHeader, unwrap } from '../http/unwrap.js';
import { paginate } from '../pagination.js';
import { type EventStreamOptions, reconnectingEventStream } from '../streaming/event-stream.js';
import { readJsonLines } from '../streaming/json-lines.js';
import type { ServerSentEvent } from '../streaming/server-sent-events.js';
import { type APIClient, type OrgCallOptions, signalOf } from './resource-context.js';

/** A job, as the server describes it. */
type Job = components['schemas']['Job'];

/** A raw request through the client (auth, org, retries), throwing typed errors. */
type SendRequest = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * One line of `jobs.results()`: a unit's outcome, in input order.
 *
 * @example
 * ```ts
 * for await (const row of client.jobs.results<{ sentiment: string }>(jobId)) if (row.status === 'ok') console.log(row.value.sentiment);
 * ```
 */
export interface JobResultRow<Value = unknown> {
  /** Position of the unit in the input file, from 0. */
  index: number;
  status: 'ok' | 'error';
  /** The parsed output (JSON jobs) or the text. */
  value: Value;
  /** The model's raw text. */
  raw: string | null;
  /** Why the unit failed: `code`, `message`, `isRetryable`, and the HTTP `status` when there was one. */
  error: { code: string; message: string; isRetryable?: boolean; status?: number } | null;
  /** Notes about the output (e.g. JSON repaired). */
  warnings: string[];
  usage: { inputTokens: number; outputTokens: number; [key: string]: unknown } | null;
  /** USD, when the model's price is known. */
  cost: number | null;
  /** Every provider call made for the unit (retries and schema repairs included). */
  attempts: { attempt: number; durationMs: number; error?: { code: string; message: string } }[];
  durationMs: number;
}

/**
 * An event of `jobs.events()`: `status` when the status changes, `progress` when units finish, `end`
 * once the job is final (the stream then ends).
 *
 * @example
 * ```ts
 * for await (const event of client.jobs.events(jobId)) if (event.type === 'progress') console.log(event.data.succeeded);
 * ```
 */
export type JobEvent =
  | { type: 'status'; id: string | undefined; data: { status: Job['status']; error: unknown } }
  | {
      type: 'progress';
      id: string | undefined;
      data: { total: number | null; succeeded: number; failed: number; errors: Record<string, number> };
    }
  | { type: 'end'; id: string | undefined; data: { status: Job['status'] } };

/**
 * Options of `jobs.create`.
 *
 * @example
 * ```ts
 * await client.jobs.create(body, { idempotencyKey: `nightly-${date}` });
 * ```
 */
export interface CreateJobOptions extends OrgCallOptions {
  /** Makes retries (the SDK's and yours) return the first job instead of making another. @default a random UUID per call */
  idempotencyKey?: string;
}

/**
 * Options of `jobs.wait`.
 *
 * @example
 * ```ts
 * await client.jobs.wait(jobId, { onProgress: (progress) => console.log(progress.succeeded) });
 * ```
 */
export interface WaitOptions extends OrgCallOptions {
  /** Called with each progress event. */
  onProgress?: (progress: Extract<JobEvent, { type: 'progress' }>['data']) => void;
}

function toJobEvent(event: ServerSentEvent): JobEvent | undefined {
  if (event.event !== 'status' && event.event !== 'progress' && event.event !== 'end') return undefined;
  return { type: event.event, id: event.id, data: JSON.parse(event.data) } as JobEvent;
}

/**
 * Batch jobs: estimate, create (with an automatic `Idempotency-Key`), list, get, cancel, retry the
 * failed units, follow the events, wait, and stream the results (JSON lines or CSV).
 *
 * @example
 * ```ts
 * const job = await client.jobs.create({ fileId, providerKeyId, model: 'gpt-4o-mini', prompt: 'Label: {{text}}' });
 * const done = await client.jobs.wait(job.id);
 * for await (const row of client.jobs.results(done.id)) console.log(row.index, row.value);
 * ```
 */
export function createJobsResource(api: APIClient, send: SendRequest) {
  const orgHeaders = (options: OrgCallOptions | undefined): Record<string, string> =>
    options?.orgId === undefined ? {} : { 'llmbatch-org': options.orgId };
  const jobPath = (jobId: string) => `/v1/jobs/${encodeURIComponent(jobId)}`;

  const events = (jobId: string, options: OrgCallOptions & Omit<EventStreamOptions, 'isLastEvent'> = {}) => {
    const { orgId, ...streamOptions } = options;
    async function* typed(): AsyncGenerator<JobEvent> {
      const stream = reconnectingEventStream(
        ({ lastEventId, signal }) =>
          send(`${jobPath(jobId)}/events`, {
            headers: {
              accept: 'text/event-stream',
              ...orgHeaders({ ...(orgId === undefined ? {} : { orgId }) }),
              ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
            },
            ...(signal === undefined ? {} : { signal }),
          }),
        { ...streamOptions, isLastEvent: (event) => event.event === 'end' },
      );
      for await (const event of stream) {
        const jobEvent = toJobEvent(event);
        if (jobEvent !== undefined) yield jobEvent;
      }
    }
    return typed();
  };

  return {
    /** Tokens and cost a job would take, without running it. */
    estimate: (body: JsonBody<'/v1/jobs/estimate', 'post'>, options?: OrgCallOptions) =>
      unwrap(
        api.POST('/v1/jobs/estimate', { body, params: orgHeader(options?.orgId), ...signalOf(options) }),
      ),
    /** Queues a job. Safe to retry: every call carries an `Idempotency-Key`. */
    create: (body: JsonBody<'/v1/jobs', 'post'>, options: CreateJobOptions = {}) =>
      unwrap(
        api.POST('/v1/jobs', {
          body,
          params: {
            header: {
              'idempotency-key': options.idempotencyKey ?? globalThis.crypto.randomUUID(),
              ...(options.orgId === undefined ? {} : { 'llmbatch-org': options.orgId }),
            },
          },
          ...signalOf(options),
        }),
      ),
    /** Every job, newest first, across pages. */
    list: (query: Omit<QueryParameters<'/v1/jobs', 'get'>, 'cursor'> = {}, options?: OrgCallOptions) =>
      paginate((cursor) =>
        unwrap(
          api.GET('/v1/jobs', {
            params: {
              query: { ...query, ...(cursor === undefined ? {} : { cursor }) },
              ...orgHeader(options?.orgId),
            },
            ...signalOf(options),
          }),
        ),
      ),
    /** One job. */
    get: (jobId: string, options?: OrgCallOptions) =>
      unwrap(
        api.GET('/v1/jobs/{jobId}', {
          params: { path: { jobId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      ),
    /** Cancels a job: a queued one at once, a running one within seconds (results so far are kept). */
    cancel: (jobId: string, options?: OrgCallOptions) =>
      unwrap(
        api.POST('/v1/jobs/{jobId}/cancel', {
          params: { path: { jobId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      ),
    /**
     * Sends the failed units of a finished (completed, failed or cancelled) job again, and any never
     * sent; answers at once with the queued job. A `ConflictError` when the job is still running or
     * has nothing to retry.
     */
    retryFailed: (jobId: string, options?: OrgCallOptions) =>
      unwrap(
        api.POST('/v1/jobs/{jobId}/retry-failed', {
          params: { path: { jobId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      ),
    /** The job's events; reconnects with `Last-Event-ID` and ends after `end`. */
    events,
    /** Follows the events until the job is final, then returns the job. */
    wait: async (jobId: string, options: WaitOptions = {}): Promise<Job> => {
      const { onProgress, ...rest } = options;
      for await (const event of events(jobId, rest)) {
        if (event.type === 'progress') onProgress?.(event.data);
      }
      return unwrap(
        api.GET('/v1/jobs/{jobId}', {
          params: { path: { jobId }, ...orgHeader(options.orgId) },
          ...signalOf(options),
        }),
      );
    },
    /** The results so far, streamed from JSON lines in input order. */
    results: <Value = unknown>(
      jobId: string,
      options?: OrgCallOptions,
    ): AsyncIterable<JobResultRow<Value>> => ({
      async *[Symbol.asyncIterator]() {
        const response = await send(`${jobPath(jobId)}/results`, {
          headers: orgHeaders(options),
          ...signalOf(options),
        });
        if (response.body === null) return;
        yield* readJsonLines<JobResultRow<Value>>(response.body);
      },
    }),
    /**
     * The results so far as CSV bytes, streamed (index, status, value columns, errors, usage, cost;
     * formula-like cells neutralised) — e.g. to pipe into a file.
     */
    resultsCsv: async (jobId: string, options?: OrgCallOptions): Promise<ReadableStream<Uint8Array>> => {
      const response = await send(`${jobPath(jobId)}/results?format=csv`, {
        headers: orgHeaders(options),
        ...signalOf(options),
      });
      return response.body ?? new ReadableStream({ start: (controller) => controller.close() });
    },
  };
}

/** The `client.jobs` resource. @example `const job = await client.jobs.get(jobId);` */
export type JobsResource = ReturnType<typeof createJobsResource>;
