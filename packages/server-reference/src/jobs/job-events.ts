import { Readable } from 'node:stream';
import * as z from 'zod';
import type { Queryable } from '../db/database.js';
import { orgHeadersSchema, requireOrg } from '../http/access-control.js';
import { notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { finalStatuses, jobStatuses } from './job-status.js';
import { countResults, findJob } from './job-store.js';

/** Milliseconds between the checks an event stream makes for changes. */
const checkIntervalMs = 250;

/** Milliseconds of silence after which a comment line keeps proxies from closing the stream. */
const keepAliveMs = 15_000;

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, milliseconds);
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    signal.addEventListener('abort', finish);
  });
}

function event(id: string, name: string, data: unknown): string {
  return `id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The events of one job as Server-Sent Event text: `status` (status and error) when it changes,
 * `progress` (total, succeeded, failed, and failed units by error code) when units finish, and `end` once the job is final, after which the stream
 * closes. Each event's id is `<status>:<finished units>`; passing the last one seen (`Last-Event-ID`)
 * resumes without repeating it.
 *
 * @example
 * ```ts
 * for await (const text of jobEvents(database, orgId, jobId, lastEventId, signal)) reply.raw.write(text);
 * ```
 */
export async function* jobEvents(
  queryable: Queryable,
  orgId: string,
  jobId: string,
  lastEventId: string | undefined,
  signal: AbortSignal,
): AsyncGenerator<string> {
  let lastStatus = lastEventId?.split(':')[0];
  let lastDone = Number(lastEventId?.split(':')[1] ?? Number.NaN);
  let quietSince = Date.now();
  while (!signal.aborted) {
    const job = await findJob(queryable, orgId, jobId);
    if (job === undefined) return;
    const {
      succeeded = 0,
      failed = 0,
      errors = {},
    } = (await countResults(queryable, [jobId])).get(jobId) ?? {};
    const counts = { succeeded, failed, errors };
    const done = counts.succeeded + counts.failed;
    const id = `${job.status}:${done}`;
    if (job.status !== lastStatus) {
      yield event(id, 'status', { status: job.status, error: job.error });
      quietSince = Date.now();
    }
    if (done !== lastDone || job.status !== lastStatus) {
      yield event(id, 'progress', { total: job.total_units, ...counts });
      quietSince = Date.now();
    }
    lastStatus = job.status;
    lastDone = done;
    if (finalStatuses.has(job.status)) {
      yield event(id, 'end', { status: job.status });
      return;
    }
    if (Date.now() - quietSince > keepAliveMs) {
      yield ': keep-alive\n\n';
      quietSince = Date.now();
    }
    await sleep(checkIntervalMs, signal);
  }
}

/**
 * `GET /v1/jobs/{jobId}/events`: the job's progress and status changes as Server-Sent Events,
 * resumable with `Last-Event-ID`; the stream ends when the job does.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [jobEventRoutes] });
 * ```
 */
export function jobEventRoutes(app: ApiApp, context: AppContext): void {
  app.get(
    '/v1/jobs/:jobId/events',
    {
      config: { access: { auth: 'org', permission: 'jobs:read' } },
      schema: {
        tags: ['jobs'],
        operationId: 'streamJobEvents',
        summary: `Server-Sent Events of a job: status (${jobStatuses.join(', ')}), progress (counts, errors by code), end`,
        headers: orgHeadersSchema.extend({
          'last-event-id': z.string().max(100).optional().describe('Resume after this event id.'),
        }),
        params: z.object({ jobId: z.uuid() }),
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { jobId } = request.params;
      if ((await findJob(context.database, org.id, jobId)) === undefined) throw notFound('job');
      const closed = new AbortController();
      reply.raw.once('close', () => closed.abort());
      void reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no');
      const stream = jobEvents(
        context.database,
        org.id,
        jobId,
        request.headers['last-event-id'],
        closed.signal,
      );
      return reply.send(Readable.from(stream));
    },
  );
}
