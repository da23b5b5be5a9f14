import type { Queryable } from '../db/database.js';
import type { JobStatus } from './job-status.js';

/** What a job asks the engine to do for each unit (stored with the job; no secrets). */
export interface JobSpecRecord {
  /** Model name as the provider knows it. */
  model: string;
  /** User message template with `{{field}}` placeholders. */
  prompt: string;
  /** System message template. */
  system?: string;
  /** `json` extracts a JSON value from each answer; `text` keeps it as is. */
  output: 'json' | 'text';
  /** Sampling temperature. */
  temperature?: number;
  /** Upper bound on output tokens per unit. */
  maxTokens?: number;
  /** Provider calls in flight at once for each running shard of this job. */
  concurrency: number;
  /** JSON Schema every output must match (json output only). */
  schema?: Record<string, unknown>;
  /** Shards of this job running at once, on any workers. @default 4 */
  maxParallelShards?: number;
}

/** A row of `jobs`. */
export interface JobRow {
  id: string;
  org_id: string;
  file_id: string | null;
  provider_key_id: string | null;
  status: JobStatus;
  spec: JobSpecRecord;
  idempotency_key: string | null;
  total_units: number | null;
  /** Times the failed units were sent again (`retry-failed`). */
  retries: number;
  error: { code: string; message: string } | null;
  created_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A new job, as the API creates it. */
export interface NewJob {
  orgId: string;
  fileId: string;
  providerKeyId: string;
  spec: JobSpecRecord;
  idempotencyKey: string | undefined;
  createdBy: string;
  createdAt: Date;
}

/**
 * Inserts a queued job; with an idempotency key already used in the organisation, inserts nothing
 * and returns the existing job with `created: false`.
 *
 * @example
 * ```ts
 * const { job, created } = await insertJob(transaction, newJob);
 * ```
 */
export async function insertJob(
  queryable: Queryable,
  job: NewJob,
): Promise<{ job: JobRow; created: boolean }> {
  const { rows } = await queryable.query<JobRow>(
    `INSERT INTO jobs (org_id, file_id, provider_key_id, status, spec, idempotency_key, created_by, created_at)
     VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7)
     ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING *`,
    [
      job.orgId,
      job.fileId,
      job.providerKeyId,
      JSON.stringify(job.spec),
      job.idempotencyKey ?? null,
      job.createdBy,
      job.createdAt,
    ],
  );
  const inserted = rows[0];
  if (inserted !== undefined) return { job: inserted, created: true };
  const { rows: existing } = await queryable.query<JobRow>(
    'SELECT * FROM jobs WHERE org_id = $1 AND idempotency_key = $2',
    [job.orgId, job.idempotencyKey ?? null],
  );
  const found = existing[0];
  if (found === undefined) throw new Error('INSERT INTO jobs returned no row');
  return { job: found, created: false };
}

/**
 * The job `jobId` of organisation `orgId` (undefined for another organisation's job); with
 * `forUpdate`, locked until the transaction ends (workers finishing shards wait for it).
 *
 * @example
 * ```ts
 * const job = await findJob(database, org.id, jobId);
 * ```
 */
export async function findJob(
  queryable: Queryable,
  orgId: string,
  jobId: string,
  options: { forUpdate?: boolean } = {},
): Promise<JobRow | undefined> {
  const { rows } = await queryable.query<JobRow>(
    `SELECT * FROM jobs WHERE org_id = $1 AND id = $2${options.forUpdate === true ? ' FOR UPDATE' : ''}`,
    [orgId, jobId],
  );
  return rows[0];
}

/**
 * The job `jobId` whatever its organisation: for workers, which act for every organisation.
 *
 * @example
 * ```ts
 * const job = await findJobForWorker(database, task.jobId);
 * ```
 */
export async function findJobForWorker(queryable: Queryable, jobId: string): Promise<JobRow | undefined> {
  const { rows } = await queryable.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [jobId]);
  return rows[0];
}

/**
 * Jobs of an organisation, newest first, optionally of one status or input file, after a keyset cursor.
 *
 * @example
 * ```ts
 * const rows = await listJobs(database, org.id, { limit: 51, status: 'running' });
 * ```
 */
export async function listJobs(
  queryable: Queryable,
  orgId: string,
  options: { limit: number; status?: JobStatus; fileId?: string; after?: { value: Date; id: string } },
): Promise<JobRow[]> {
  const { rows } = await queryable.query<JobRow>(
    `SELECT * FROM jobs WHERE org_id = $1 AND ($2::text IS NULL OR status = $2)
       AND ($6::uuid IS NULL OR file_id = $6)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [
      orgId,
      options.status ?? null,
      options.after?.value ?? null,
      options.after?.id ?? null,
      options.limit,
      options.fileId ?? null,
    ],
  );
  return rows;
}

/** Units finished so far, by outcome, and what they used. */
export interface JobCounts {
  succeeded: number;
  failed: number;
  /** Failed units by error code. */
  errors: Record<string, number>;
  /** Tokens used, by every unit recorded (failed units sent again included). */
  inputTokens: number;
  outputTokens: number;
  /** USD spent; `null` when any recorded unit's model has no known price. */
  cost: number | null;
  /** Versions of the price table the costs were computed with. */
  pricingVersions: string[];
}

/**
 * Counts and usage of each job in `jobIds`, from the usage rows written with the results.
 *
 * @example
 * ```ts
 * const counts = await countResults(database, [job.id]);
 * counts.get(job.id); // { succeeded: 97, failed: 3, errors: { 'http-500': 3 }, ... }
 * ```
 */
export async function countResults(
  queryable: Queryable,
  jobIds: readonly string[],
): Promise<Map<string, JobCounts>> {
  const counts = new Map<string, JobCounts>(
    jobIds.map((id) => [
      id,
      { succeeded: 0, failed: 0, errors: {}, inputTokens: 0, outputTokens: 0, cost: 0, pricingVersions: [] },
    ]),
  );
  if (jobIds.length === 0) return counts;
  const ids = jobIds.join(',');
  const { rows } = await queryable.query<{
    job_id: string;
    succeeded: number;
    failed: number;
    input_tokens: number;
    output_tokens: number;
    cost: number | null;
    pricing_versions: string[];
  }>(
    `SELECT job_id, sum(succeeded)::int AS succeeded, sum(failed)::int AS failed,
            sum(input_tokens)::float8 AS input_tokens, sum(output_tokens)::float8 AS output_tokens,
            CASE WHEN bool_or(cost IS NULL) THEN NULL ELSE sum(cost)::float8 END AS cost,
            array_agg(DISTINCT pricing_version ORDER BY pricing_version) AS pricing_versions
       FROM job_usage WHERE job_id = ANY(string_to_array($1, ',')::uuid[]) GROUP BY job_id`,
    [ids],
  );
  for (const row of rows) {
    const entry = counts.get(row.job_id);
    if (entry === undefined) continue;
    entry.succeeded = row.succeeded;
    entry.failed = row.failed;
    entry.inputTokens = row.input_tokens;
    entry.outputTokens = row.output_tokens;
    entry.cost = row.cost;
    entry.pricingVersions = row.pricing_versions;
  }
  const { rows: errors } = await queryable.query<{ job_id: string; code: string; count: number }>(
    `SELECT job_id, code, count FROM job_error_counts
      WHERE job_id = ANY(string_to_array($1, ',')::uuid[]) AND count > 0 ORDER BY code`,
    [ids],
  );
  for (const row of errors) {
    const entry = counts.get(row.job_id);
    if (entry !== undefined) entry.errors[row.code] = row.count;
  }
  return counts;
}
