-- Results are recorded a batch at a time: one row per batch a worker commits, holding the batch's
-- JSON lines (exactly what the download sends, written once by the worker) and the unit index of
-- each line. A batch costs Postgres one row instead of one row per unit, nothing is parsed or
-- re-encoded on the way in or out, and an answer jsonb would refuse (a \u0000) is kept as it came.
--
-- A unit is recorded at most once: a worker records a batch only while it holds its shard's task
-- (the statement locks the task row, so a worker taking the shard over waits for it and then reads
-- what it recorded), and a shard run skips the units already recorded.

CREATE TABLE job_result_batches (
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  -- The smallest and largest unit index in the batch: downloads read the batches of an index window.
  first_index integer NOT NULL,
  last_index integer NOT NULL,
  -- The unit index of each line, in line order.
  indexes integer[] NOT NULL,
  -- Positions (from 0) in `indexes` of the units that ended in error (retry-failed removes them).
  error_positions integer[] NOT NULL,
  -- One JSON object per unit, in `indexes` order, separated by newlines (JSON text has none).
  lines text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, id),
  CHECK (first_index <= last_index AND cardinality(indexes) > 0)
);
CREATE INDEX job_result_batches_window ON job_result_batches (job_id, first_index);
-- Written once and read whole: no compression to spend CPU on.
ALTER TABLE job_result_batches ALTER COLUMN lines SET STORAGE EXTERNAL;

-- Results recorded before this migration, a batch per job and thousand indexes.
INSERT INTO job_result_batches (job_id, first_index, last_index, indexes, error_positions, lines)
SELECT job_id, min(unit_index), max(unit_index),
       array_agg(unit_index ORDER BY unit_index),
       coalesce(array_agg(position - 1) FILTER (WHERE status = 'error'), '{}'),
       string_agg(line, E'\n' ORDER BY unit_index)
  FROM (
    SELECT job_id, unit_index, status,
           row_number() OVER (PARTITION BY job_id, unit_index / 1000 ORDER BY unit_index) AS position,
           jsonb_build_object(
             'index', unit_index,
             'status', status,
             'value', coalesce(result->'value', 'null'::jsonb),
             'raw', coalesce(result->'raw', 'null'::jsonb),
             'error', coalesce(result->'error', 'null'::jsonb),
             'warnings', coalesce(result->'warnings', '[]'::jsonb),
             'usage', coalesce(result->'usage', '{"inputTokens":0,"outputTokens":0,"cachedInputTokens":0,"cacheWriteTokens":0}'::jsonb),
             'cost', coalesce(result->'cost', 'null'::jsonb),
             'attempts', coalesce(result->'attempts', '[]'::jsonb),
             'durationMs', coalesce(result->'durationMs', '0'::jsonb)
           )::text AS line
      FROM job_results
  ) AS old
 GROUP BY job_id, unit_index / 1000;

DROP TABLE job_results;
