import * as z from 'zod';
import { orgHeadersSchema } from '../http/access-control.js';
import { pageQuerySchema, timestampSchema } from '../http/schemas.js';
import { defaultMaxParallelShards } from '../worker/job-queue.js';
import { jobStatuses } from './job-status.js';
import type { JobCounts, JobRow } from './job-store.js';

/** A job status in the API. */
export const statusSchema = z.enum(jobStatuses as [string, ...string[]]).meta({ id: 'JobStatus' });

/** A job as the API shows it. */
export const jobSchema = z
  .object({
    id: z.uuid(),
    status: statusSchema,
    fileId: z.uuid().nullable(),
    providerKeyId: z.uuid().nullable(),
    model: z.string(),
    prompt: z.string(),
    system: z.string().nullable(),
    output: z.enum(['json', 'text']),
    temperature: z.number().nullable(),
    maxTokens: z.number().int().nullable(),
    concurrency: z.number().int(),
    schema: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('JSON Schema every output must match, when the job has one.'),
    maxParallelShards: z.number().int().describe('Shards of this job that run at once, on any workers.'),
    retries: z.number().int().describe('Times retry-failed sent the failed units again.'),
    counts: z.object({
      total: z
        .number()
        .int()
        .nullable()
        .describe('Units in the input; known once the job has read all of it.'),
      succeeded: z.number().int(),
      failed: z.number().int(),
      errors: z
        .record(z.string(), z.number().int())
        .describe('Failed units by error code, e.g. { "http-500": 3, "timeout": 1 }.'),
    }),
    usage: z
      .object({
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        pricingVersions: z
          .array(z.string())
          .describe('Versions of the price table the cost was computed with.'),
      })
      .describe('Tokens used by the recorded units (failed units sent again included).'),
    cost: z
      .number()
      .nullable()
      .describe(
        'USD spent on the finished units; null when the model has no known price (never a silent 0).',
      ),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: timestampSchema,
    startedAt: timestampSchema.nullable(),
    finishedAt: timestampSchema.nullable(),
  })
  .meta({ id: 'Job' });

/**
 * The API view of a job row and its counts.
 *
 * @example
 * ```ts
 * return toJob(row, (await countResults(database, [row.id])).get(row.id));
 * ```
 */
export function toJob(row: JobRow, counts: JobCounts | undefined): z.infer<typeof jobSchema> {
  return {
    id: row.id,
    status: row.status,
    fileId: row.file_id,
    providerKeyId: row.provider_key_id,
    model: row.spec.model,
    prompt: row.spec.prompt,
    system: row.spec.system ?? null,
    output: row.spec.output,
    temperature: row.spec.temperature ?? null,
    maxTokens: row.spec.maxTokens ?? null,
    concurrency: row.spec.concurrency,
    schema: row.spec.schema ?? null,
    maxParallelShards: row.spec.maxParallelShards ?? defaultMaxParallelShards,
    retries: row.retries,
    counts: {
      total: row.total_units,
      succeeded: counts?.succeeded ?? 0,
      failed: counts?.failed ?? 0,
      errors: counts?.errors ?? {},
    },
    usage: {
      inputTokens: counts?.inputTokens ?? 0,
      outputTokens: counts?.outputTokens ?? 0,
      pricingVersions: counts?.pricingVersions ?? [],
    },
    cost: counts === undefined ? 0 : counts.cost,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

/** The body of `POST /v1/jobs`. */
export const createJobBody = z
  .strictObject({
    fileId: z.uuid().describe('The input file (CSV or JSONL); each row or line is one unit.'),
    providerKeyId: z.uuid().describe('The stored provider key the worker calls the model with.'),
    model: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe('Model name as the provider knows it, e.g. gpt-4o-mini.'),
    prompt: z.string().min(1).max(100_000).describe('User message template with {{field}} placeholders.'),
    system: z.string().max(100_000).optional().describe('System message template.'),
    output: z.enum(['json', 'text']).default('json'),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().max(1_000_000).optional(),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(8)
      .describe(
        'Provider calls in flight at once for each running shard (a shard is JOB_SHARD_SIZE units, 2,500 by default).',
      ),
    schema: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'JSON Schema every output must match; invalid outputs are repaired or re-asked (json output).',
      ),
    maxParallelShards: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe(
        `Shards of this job that run at once, on any workers (default ${defaultMaxParallelShards}); calls in flight are at most concurrency × this.`,
      ),
  })
  .meta({ id: 'CreateJobRequest' });

/** The headers of `POST /v1/jobs`. */
export const createJobHeaders = orgHeadersSchema.extend({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Sending the same key again returns the job the first request created instead of a new one.'),
});

/** The query of `GET /v1/jobs`. */
export const listJobsQuery = pageQuerySchema.extend({
  status: statusSchema.optional().describe('Only jobs with this status.'),
  fileId: z.uuid().optional().describe('Only jobs over this input file.'),
});
