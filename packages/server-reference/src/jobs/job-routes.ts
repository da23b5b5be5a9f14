import { Readable } from 'node:stream';
import { compileTemplate, LLMBatchError } from '@llmbatch/core';
import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { findFile } from '../files/file-store.js';
import { orgHeadersSchema, requireOrg, requirePrincipal } from '../http/access-control.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { decodeCursor, pageSchema, toPage } from '../http/schemas.js';
import { enqueueJob, removeTask } from '../worker/job-queue.js';
import { readResults } from './job-results.js';
import { createJobBody, createJobHeaders, jobSchema, listJobsQuery, toJob } from './job-schemas.js';
import { finalStatuses, transitionJob } from './job-status.js';
import { countResults, findJob, insertJob, type JobRow, type JobSpecRecord, listJobs } from './job-store.js';

/**
 * Jobs of an organisation: create (202, queued for a worker; `Idempotency-Key` honoured), list,
 * read, cancel, and download the results as JSON lines in input order. No request waits for
 * processing.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [jobRoutes] });
 * ```
 */
export function jobRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock } = context;
  const jobParams = z.object({ jobId: z.uuid() });

  const present = async (row: JobRow) => toJob(row, (await countResults(database, [row.id])).get(row.id));

  app.post(
    '/v1/jobs',
    {
      config: { access: { auth: 'org', permission: 'jobs:write' } },
      schema: {
        tags: ['jobs'],
        operationId: 'createJob',
        summary: 'Start a job over an uploaded file; answers at once with the queued job',
        headers: createJobHeaders,
        body: createJobBody,
        response: { 200: jobSchema, 202: jobSchema },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const principal = requirePrincipal(request);
      const { fileId, providerKeyId, ...rest } = request.body;
      const spec: JobSpecRecord = {
        model: rest.model,
        prompt: rest.prompt,
        output: rest.output,
        concurrency: rest.concurrency,
        ...(rest.system === undefined ? {} : { system: rest.system }),
        ...(rest.temperature === undefined ? {} : { temperature: rest.temperature }),
        ...(rest.maxTokens === undefined ? {} : { maxTokens: rest.maxTokens }),
      };
      for (const [field, template] of [
        ['prompt', spec.prompt],
        ['system', spec.system],
      ] as const) {
        if (template === undefined) continue;
        try {
          compileTemplate(template);
        } catch (error) {
          if (!LLMBatchError.isInstance(error)) throw error;
          throw new ApiError({
            code: 'invalid-request',
            message: `${field}: ${error.message}`,
            details: { field },
          });
        }
      }
      const idempotencyKey = request.headers['idempotency-key'];
      const { job, created } = await database.transaction(async (transaction) => {
        if ((await findFile(transaction, org.id, fileId)) === undefined) throw notFound('file');
        const { rows: keys } = await transaction.query(
          'SELECT id FROM provider_keys WHERE org_id = $1 AND id = $2',
          [org.id, providerKeyId],
        );
        if (keys.length === 0) throw notFound('provider key');
        const result = await insertJob(transaction, {
          orgId: org.id,
          fileId,
          providerKeyId,
          spec,
          idempotencyKey,
          createdBy: principal.userId,
          createdAt: clock.now(),
        });
        if (result.created) {
          await enqueueJob(transaction, result.job.id);
          await recordAudit(transaction, actorOf(request), {
            action: 'job.create',
            targetType: 'job',
            targetId: result.job.id,
            orgId: org.id,
            details: { fileId, providerKeyId, model: spec.model },
          });
        }
        return result;
      });
      if (!created) {
        const same =
          job.file_id === fileId &&
          job.provider_key_id === providerKeyId &&
          JSON.stringify(job.spec) === JSON.stringify({ ...job.spec, ...spec });
        if (!same) {
          throw new ApiError({
            code: 'conflict',
            message: 'This Idempotency-Key was used for a different job',
            details: { jobId: job.id },
          });
        }
      }
      return reply.status(created ? 202 : 200).send(await present(job));
    },
  );

  app.get(
    '/v1/jobs',
    {
      config: { access: { auth: 'org', permission: 'jobs:read' } },
      schema: {
        tags: ['jobs'],
        operationId: 'listJobs',
        summary: 'Jobs of the organisation, newest first',
        headers: orgHeadersSchema,
        querystring: listJobsQuery,
        response: { 200: pageSchema(jobSchema) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const after = decodeCursor(request.query.cursor);
      const rows = await listJobs(database, org.id, {
        limit: request.query.limit + 1,
        ...(request.query.status === undefined ? {} : { status: request.query.status as JobRow['status'] }),
        ...(after === undefined ? {} : { after }),
      });
      const counts = await countResults(
        database,
        rows.slice(0, request.query.limit).map((row) => row.id),
      );
      return toPage(rows, request.query.limit, (row) => toJob(row, counts.get(row.id)));
    },
  );

  app.get(
    '/v1/jobs/:jobId',
    {
      config: { access: { auth: 'org', permission: 'jobs:read' } },
      schema: {
        tags: ['jobs'],
        operationId: 'getJob',
        summary: 'One job: status, counts, timings, error',
        headers: orgHeadersSchema,
        params: jobParams,
        response: { 200: jobSchema },
      },
    },
    async (request) => {
      const row = await findJob(database, requireOrg(request).id, request.params.jobId);
      if (row === undefined) throw notFound('job');
      return present(row);
    },
  );

  app.post(
    '/v1/jobs/:jobId/cancel',
    {
      config: { access: { auth: 'org', permission: 'jobs:write' } },
      schema: {
        tags: ['jobs'],
        operationId: 'cancelJob',
        summary: 'Cancel a job: a queued one at once, a running one within seconds (results so far are kept)',
        headers: orgHeadersSchema,
        params: jobParams,
        response: { 202: jobSchema },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { jobId } = request.params;
      const row = await database.transaction(async (transaction) => {
        const job = await findJob(transaction, org.id, jobId);
        if (job === undefined) throw notFound('job');
        if (job.status === 'cancelling') return job;
        if (finalStatuses.has(job.status)) {
          throw new ApiError({
            code: 'conflict',
            message: `A ${job.status} job cannot be cancelled`,
            details: { status: job.status },
          });
        }
        const moved =
          (await transitionJob(transaction, jobId, 'cancelled', { finishedAt: clock.now() })) ??
          (await transitionJob(transaction, jobId, 'cancelling'));
        if (moved === 'queued') await removeTask(transaction, jobId);
        await recordAudit(transaction, actorOf(request), {
          action: 'job.cancel',
          targetType: 'job',
          targetId: jobId,
          orgId: org.id,
        });
        const updated = await findJob(transaction, org.id, jobId);
        if (updated === undefined) throw notFound('job');
        return updated;
      });
      return reply.status(202).send(await present(row));
    },
  );

  app.get(
    '/v1/jobs/:jobId/results',
    {
      config: { access: { auth: 'org', permission: 'jobs:read' } },
      schema: {
        tags: ['jobs'],
        operationId: 'getJobResults',
        summary:
          'Results so far as JSON lines, in input order (index, status, value, raw, error, usage, cost)',
        headers: orgHeadersSchema,
        params: jobParams,
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const row = await findJob(database, org.id, request.params.jobId);
      if (row === undefined) throw notFound('job');
      const lines = async function* () {
        for await (const line of readResults(database, row.id)) yield `${JSON.stringify(line)}\n`;
      };
      void reply.header('content-type', 'application/x-ndjson');
      return reply.send(Readable.from(lines()));
    },
  );
}
