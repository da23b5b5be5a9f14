-- Jobs run as shards that different workers take at once; usage is written with the results.
--
-- job_tasks replaces job_queue: one task per (job, shard). Shard -1 is a job's plan task (count
-- the units, create the shards); shards 0..n-1 each cover a range of unit indexes. Ids only: never a
-- secret, never input data.

CREATE TABLE job_tasks (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  shard integer NOT NULL CHECK (shard >= -1),
  state text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'active')),
  locked_by text,
  lease_expires_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (job_id, shard)
);
CREATE INDEX job_tasks_claim ON job_tasks (enqueued_at, shard);

-- Tasks waiting in the old queue become plan tasks: a job planned again skips the units already in
-- its ledger, so nothing is sent twice.
INSERT INTO job_tasks (job_id, shard, state, attempts, enqueued_at)
  SELECT job_id, -1, 'ready', 0, enqueued_at FROM job_queue;
DROP TABLE job_queue;

-- The unit ranges of a planned job: shard n covers unit indexes [start_index, end_index), and its
-- units are kept in storage as JSON lines while the job can run.
CREATE TABLE job_shards (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  shard integer NOT NULL CHECK (shard >= 0),
  start_index integer NOT NULL,
  end_index integer NOT NULL CHECK (end_index > start_index),
  completed_at timestamptz,
  -- The shard's units are stored as their own object (swept once the job is final).
  input_stored boolean NOT NULL DEFAULT false,
  PRIMARY KEY (job_id, shard)
);
CREATE INDEX job_shards_stored ON job_shards (job_id) WHERE input_stored;

-- Usage of each shard, written in the same statement as the results it counts, so a unit is
-- counted (and billed) exactly when its result is recorded: once.
CREATE TABLE job_usage (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  shard integer NOT NULL,
  pricing_version text NOT NULL,
  model text NOT NULL,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  -- Failed units whose results retry-failed removed to send them again; their tokens and cost stay.
  retried integer NOT NULL DEFAULT 0,
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  -- NULL once any counted unit had usage but no known price: an unknown cost, never a silent 0.
  cost double precision,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, shard, pricing_version)
);

-- Failed units of a job by error code, for the progress events' error summary.
CREATE TABLE job_error_counts (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  code text NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (job_id, code)
);

-- Times POST /v1/jobs/{id}/retry-failed sent a job's failed units again.
ALTER TABLE jobs ADD COLUMN retries integer NOT NULL DEFAULT 0;

-- Usage of jobs recorded before this migration, from their ledgers.
INSERT INTO job_usage (job_id, shard, pricing_version, model, succeeded, failed, input_tokens, output_tokens, cost)
  SELECT r.job_id, 0, 'unknown', j.spec->>'model',
         count(*) FILTER (WHERE r.status = 'ok'), count(*) FILTER (WHERE r.status = 'error'),
         coalesce(sum((r.result->'usage'->>'inputTokens')::bigint), 0),
         coalesce(sum((r.result->'usage'->>'outputTokens')::bigint), 0),
         CASE WHEN bool_or(jsonb_typeof(r.result->'cost') IS DISTINCT FROM 'number') THEN NULL
              ELSE coalesce(sum((r.result->>'cost')::float8), 0) END
    FROM job_results AS r JOIN jobs AS j ON j.id = r.job_id
   GROUP BY r.job_id, j.spec->>'model';
INSERT INTO job_error_counts (job_id, code, count)
  SELECT job_id, coalesce(result->'error'->>'code', 'unknown'), count(*)
    FROM job_results WHERE status = 'error' GROUP BY 1, 2;
