-- A result is stored as the JSON line its download sends, written once by the worker, beside the
-- few fields the usage and error counts are summed from. Writing and downloading a result then
-- costs Postgres a text row instead of parsing, re-encoding and printing a jsonb document, and
-- results whose text jsonb refuses (a \u0000 in a model's answer) are kept as they came.

ALTER TABLE job_results
  ADD COLUMN error_code text,
  ADD COLUMN input_tokens bigint NOT NULL DEFAULT 0,
  ADD COLUMN output_tokens bigint NOT NULL DEFAULT 0,
  -- NULL when the unit's price is unknown (a job's cost is then unknown too, never a silent 0).
  ADD COLUMN cost double precision,
  ADD COLUMN line text;

UPDATE job_results SET
  error_code = CASE WHEN status = 'error' THEN coalesce(result->'error'->>'code', 'unknown') END,
  input_tokens = coalesce((result->'usage'->>'inputTokens')::bigint, 0),
  output_tokens = coalesce((result->'usage'->>'outputTokens')::bigint, 0),
  cost = CASE WHEN jsonb_typeof(result->'cost') = 'number' THEN (result->>'cost')::float8 END,
  line = jsonb_build_object(
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
  )::text;

ALTER TABLE job_results ALTER COLUMN line SET NOT NULL;
ALTER TABLE job_results DROP COLUMN result;
ALTER TABLE job_results ADD CONSTRAINT job_results_error_code CHECK ((status = 'error') = (error_code IS NOT NULL));
