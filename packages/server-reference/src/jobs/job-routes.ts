import { PassThrough, Readable } from 'node:stream';
import { createCsvSink } from '@llmbatch/adapters';
import { compileOutputSchema, compileTemplate, LLMBatchError } from '@llmbatch/core';
import type { FastifyRequest } from 'fastify';
import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import type { Queryable } from '../db/database.js';
import { findFile } from '../files/file-store.js';
import { orgHeadersSchema, requireOrg, requirePrincipal } from '../http/access-control.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { decodeCursor, pageSchema, toPage } from '../http/schemas.js';
import { enqueueTasks, removeWaitingTasks } from '../worker/job-queue.js';
import {
  countRecorded,
  type ResultLine,
  readResults,
  readResultText,
  removeFailedResults,
} from './job-results.js';
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

  /**
   * Changes a job in one transaction with its row locked (a worker finishing its last shard waits),
   * records the audit event `change` names (none when it returns undefined) and returns the job as
   * it is afterwards.
   */
  const changeJob = (
    request: FastifyRequest,
    orgId: string,
    jobId: string,
    change: (
      transaction: Queryable,
      job: JobRow,
    ) => Promise<{ action: string; details?: Record<string, unknown> } | undefined>,
  ): Promise<JobRow> =>
    database.transaction(async (transaction) => {
      const job = await findJob(transaction, orgId, jobId, { forUpdate: true });
      if (job === undefined) throw notFound('job');
      const audit = await change(transaction, job);
      if (audit === undefined) return job;
      await recordAudit(transaction, actorOf(request), {
        action: audit.action,
        targetType: 'job',
        targetId: jobId,
        orgId,
        ...(audit.details === undefined ? {} : { details: audit.details }),
      });
      const updated = await findJob(transaction, orgId, jobId);
      if (updated === undefined) throw notFound('job');
      return updated;
    });

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
        ...(rest.schema === undefined ? {} : { schema: rest.schema }),
        ...(rest.maxParallelShards === undefined ? {} : { maxParallelShards: rest.maxParallelShards }),
      };
      if (spec.schema !== undefined) {
        if (spec.output !== 'json') {
          throw new ApiError({
            code: 'invalid-request',
            message: 'schema: a schema needs output "json"',
            details: { field: 'schema' },
          });
        }
        try {
          compileOutputSchema(spec.schema);
        } catch (error) {
          if (!LLMBatchError.isInstance(error)) throw error;
          throw new ApiError({
            code: 'invalid-request',
            message: `schema: ${error.message}`,
            details: { field: 'schema' },
          });
        }
      }
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
          await enqueueTasks(transaction, result.job.id);
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
        ...(request.query.fileId === undefined ? {} : { fileId: request.query.fileId }),
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
      const row = await changeJob(request, org.id, jobId, async (transaction, job) => {
        if (job.status === 'cancelling') return undefined;
        if (finalStatuses.has(job.status)) {
          throw new ApiError({
            code: 'conflict',
            message: `A ${job.status} job cannot be cancelled`,
            details: { status: job.status },
          });
        }
        // Tasks no worker holds are dropped now; a job with none running is cancelled at once,
        // otherwise its workers see `cancelling` at their next heartbeat and finish the cancel.
        const running = await removeWaitingTasks(transaction, jobId);
        if (job.status === 'queued') {
          await transitionJob(transaction, jobId, 'cancelled', { finishedAt: clock.now() });
        } else {
          await transitionJob(transaction, jobId, 'cancelling');
          if (running === 0)
            await transitionJob(transaction, jobId, 'cancelled', { finishedAt: clock.now() });
        }
        return { action: 'job.cancel' };
      });
      return reply.status(202).send(await present(row));
    },
  );

  app.post(
    '/v1/jobs/:jobId/retry-failed',
    {
      config: { access: { auth: 'org', permission: 'jobs:write' } },
      schema: {
        tags: ['jobs'],
        operationId: 'retryFailedUnits',
        summary:
          'Send the failed units of a finished job again (and any never sent, e.g. after a cancel); answers at once with the queued job',
        headers: orgHeadersSchema,
        params: jobParams,
        response: { 202: jobSchema },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { jobId } = request.params;
      const row = await changeJob(request, org.id, jobId, async (transaction, job) => {
        if (!finalStatuses.has(job.status)) {
          throw new ApiError({
            code: 'conflict',
            message: `A ${job.status} job cannot be retried; wait until it ends`,
            details: { status: job.status },
          });
        }
        if (!(await prepareRetry(transaction, job))) {
          throw new ApiError({
            code: 'conflict',
            message: 'This job has no failed or unsent units to retry',
            details: { status: job.status },
          });
        }
        await transitionJob(transaction, jobId, 'queued');
        await transaction.query(
          'UPDATE jobs SET error = NULL, finished_at = NULL, retries = retries + 1 WHERE id = $1',
          [jobId],
        );
        // The plan stores the shard inputs again (they are swept when a job ends) and queues the
        // shards that have units left.
        await enqueueTasks(transaction, jobId);
        return { action: 'job.retry-failed' };
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
          'Results so far in input order: JSON lines (index, status, value, raw, error, warnings, usage, cost, attempts, durationMs) or CSV',
        headers: orgHeadersSchema,
        params: jobParams,
        querystring: z.object({
          format: z
            .enum(['jsonl', 'csv'])
            .default('jsonl')
            .describe(
              'jsonl: one JSON object per unit. csv: index, status, value columns (an object value is spread into value.<field> columns), error_code, error_message, warnings, input_tokens, output_tokens, cost, attempts, duration_ms; formula-like cells neutralised.',
            ),
        }),
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const row = await findJob(database, org.id, request.params.jobId);
      if (row === undefined) throw notFound('job');
      const format = request.query.format;
      void reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('content-disposition', `attachment; filename="job-${row.id}-results.${format}"`);
      if (format === 'jsonl') {
        return reply.send(Readable.from(readResultText(database, row.id)));
      }
      const body = new PassThrough();
      request.raw.once('close', () => body.destroy());
      void writeCsvResults(readResults(database, row.id), body).catch((error: unknown) => {
        request.log.error({ err: error, jobId: row.id }, 'results download failed');
        body.destroy(error instanceof Error ? error : new Error(String(error)));
      });
      return reply.send(body);
    },
  );
}

/**
 * Gets a finished job ready to send its failed units again: removes their results (their usage
 * stays counted: it was spent). True when the job has units left to send — the failed ones and
 * any never sent (after a cancel or a failure) — so its plan must run again.
 */
async function prepareRetry(transaction: Queryable, job: JobRow): Promise<boolean> {
  await removeFailedResults(transaction, job.id);
  await transaction.query('UPDATE job_usage SET retried = retried + failed, failed = 0 WHERE job_id = $1', [
    job.id,
  ]);
  await transaction.query('DELETE FROM job_error_counts WHERE job_id = $1', [job.id]);
  // Never planned to the end (cancelled or failed first): everything not in the ledger is left.
  if (job.total_units === null) return true;
  return (await countRecorded(transaction, job.id)) < job.total_units;
}

/** Writes result lines as CSV through the adapters' CSV sink (quoting, formula neutralising). */
async function writeCsvResults(lines: AsyncIterable<ResultLine>, target: PassThrough): Promise<void> {
  const sink = await createCsvSink(target);
  for await (const line of lines) {
    if (target.destroyed) return;
    await sink.write({
      index: line.index,
      key: String(line.index),
      status: line.status,
      value: line.status === 'ok' ? line.value : undefined,
      raw: line.raw ?? undefined,
      ...(line.error === null ? {} : { error: line.error }),
      warnings: line.warnings,
      usage: line.usage,
      cost: line.cost,
      attempts: line.attempts,
      durationMs: line.durationMs,
    });
  }
  await sink.close();
  target.end();
}
