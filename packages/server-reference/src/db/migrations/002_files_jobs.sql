-- Files, jobs, the per-unit result ledger and the job queue.
-- Tenant rows carry org_id; every route query filters on it. The queue holds ids only: never a
-- secret, never input data.

CREATE TABLE files (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  name text NOT NULL,
  format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_org ON files (org_id, created_at, id);

CREATE TABLE jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  file_id uuid REFERENCES files (id) ON DELETE SET NULL,
  provider_key_id uuid REFERENCES provider_keys (id) ON DELETE SET NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelling', 'cancelled')),
  spec jsonb NOT NULL,
  idempotency_key text,
  total_units integer,
  error jsonb,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, idempotency_key)
);
CREATE INDEX jobs_org ON jobs (org_id, created_at, id);
CREATE INDEX jobs_file ON jobs (file_id);

-- One row per finished unit (ok or error): the results and the ledger a restarted worker resumes from.
CREATE TABLE job_results (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  unit_index integer NOT NULL,
  status text NOT NULL CHECK (status IN ('ok', 'error')),
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, unit_index)
);

-- Work to do: one task per job. A worker claims a ready task (or one whose lease expired) with
-- FOR UPDATE SKIP LOCKED, and keeps its lease alive with heartbeats.
CREATE TABLE job_queue (
  job_id uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  state text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'active')),
  locked_by text,
  lease_expires_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX job_queue_ready ON job_queue (state, enqueued_at);
