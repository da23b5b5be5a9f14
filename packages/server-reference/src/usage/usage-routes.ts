import * as z from 'zod';
import { orgHeadersSchema, requireOrg } from '../http/access-control.js';
import { ApiError } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { timestampSchema } from '../http/schemas.js';

const usageRowSchema = z.object({
  model: z.string(),
  pricingVersion: z.string().describe('Version of the price table the cost was computed with.'),
  jobs: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  retried: z.number().int().describe('Failed units sent again by retry-failed (their spend is counted).'),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cost: z.number().nullable().describe('USD; null when the model has no known price (never a silent 0).'),
});

/** The answer of `GET /v1/usage`. */
export const usageSchema = z
  .object({
    from: timestampSchema,
    to: timestampSchema,
    rows: z.array(usageRowSchema),
    total: z.object({
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      cost: z.number().nullable(),
    }),
  })
  .meta({ id: 'Usage' });

const usageQuery = z.object({
  from: timestampSchema
    .optional()
    .describe('Jobs created at or after this time. @default 30 days before `to`'),
  to: timestampSchema.optional().describe('Jobs created at or before this time. @default now'),
});

const dayMs = 86_400_000;

/**
 * `GET /v1/usage`: what the organisation's jobs used — units, tokens and cost by model and price-table
 * version — for jobs created from `from` to `to` (both included), read from the usage rows the workers write with the
 * results (so each unit counts once).
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [usageRoutes] });
 * ```
 */
export function usageRoutes(app: ApiApp, context: AppContext): void {
  app.get(
    '/v1/usage',
    {
      config: { access: { auth: 'org', permission: 'jobs:read' } },
      schema: {
        tags: ['usage'],
        operationId: 'getUsage',
        summary: 'Units, tokens and cost of the organisation’s jobs created in a time range, by model',
        headers: orgHeadersSchema,
        querystring: usageQuery,
        response: { 200: usageSchema },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const to = request.query.to === undefined ? context.clock.now() : new Date(request.query.to);
      const from =
        request.query.from === undefined ? new Date(to.getTime() - 30 * dayMs) : new Date(request.query.from);
      if (from.getTime() >= to.getTime()) {
        throw new ApiError({
          code: 'invalid-request',
          message: 'from must be before to',
          details: { field: 'from' },
        });
      }
      const { rows } = await context.database.query<{
        model: string;
        pricing_version: string;
        jobs: number;
        succeeded: number;
        failed: number;
        retried: number;
        input_tokens: number;
        output_tokens: number;
        cost: number | null;
      }>(
        `SELECT u.model, u.pricing_version, count(DISTINCT u.job_id)::int AS jobs,
                sum(u.succeeded)::int AS succeeded, sum(u.failed)::int AS failed, sum(u.retried)::int AS retried,
                sum(u.input_tokens)::float8 AS input_tokens, sum(u.output_tokens)::float8 AS output_tokens,
                CASE WHEN bool_or(u.cost IS NULL) THEN NULL ELSE sum(u.cost)::float8 END AS cost
           FROM job_usage AS u JOIN jobs AS j ON j.id = u.job_id
          WHERE j.org_id = $1 AND j.created_at >= $2 AND j.created_at <= $3
          GROUP BY u.model, u.pricing_version ORDER BY u.model, u.pricing_version`,
        [org.id, from, to],
      );
      const usage = rows.map((row) => ({
        model: row.model,
        pricingVersion: row.pricing_version,
        jobs: row.jobs,
        succeeded: row.succeeded,
        failed: row.failed,
        retried: row.retried,
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        cost: row.cost,
      }));
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        rows: usage,
        total: {
          inputTokens: usage.reduce((sum, row) => sum + row.inputTokens, 0),
          outputTokens: usage.reduce((sum, row) => sum + row.outputTokens, 0),
          cost: usage.some((row) => row.cost === null)
            ? null
            : usage.reduce((sum, row) => sum + (row.cost ?? 0), 0),
        },
      };
    },
  );
}
