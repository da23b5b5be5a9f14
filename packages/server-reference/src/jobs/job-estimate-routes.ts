import {
  createAnthropicProvider,
  createEngine,
  createOpenAICompatibleProvider,
  LLMBatchError,
} from '@llmbatch/core';
import * as z from 'zod';
import { openSource } from '../files/file-format.js';
import { findFile } from '../files/file-store.js';
import { orgHeadersSchema, requireOrg } from '../http/access-control.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { objectKeyFor } from '../storage/storage-driver.js';

const estimateBody = z
  .strictObject({
    fileId: z.uuid(),
    providerKeyId: z.uuid().describe('Names the provider whose prices apply; the key is not used.'),
    model: z.string().trim().min(1).max(200),
    prompt: z.string().min(1).max(100_000),
    system: z.string().max(100_000).optional(),
    output: z.enum(['json', 'text']).default('json'),
    maxTokens: z.number().int().positive().max(1_000_000).optional(),
  })
  .meta({ id: 'EstimateJobRequest' });

const bounds = z.object({ low: z.number(), expected: z.number(), high: z.number() });

/** What a job would cost, as the API shows it. */
export const estimateSchema = z
  .object({
    units: z.number().int(),
    invalidUnits: z.number().int(),
    model: z.string(),
    pricingVersion: z.string(),
    tokenizer: z.string(),
    inputTokens: z.number().int(),
    outputTokens: bounds,
    cost: bounds.nullable().describe('USD; null when the model has no known price.'),
    overContextWindow: z.number().int(),
    contextWindow: z.number().int().nullable(),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'JobEstimate' });

/**
 * `POST /v1/jobs/estimate`: reads the file and counts tokens with the engine's estimator, without
 * calling any provider or spending anything.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [jobEstimateRoutes] });
 * ```
 */
export function jobEstimateRoutes(app: ApiApp, context: AppContext): void {
  app.post(
    '/v1/jobs/estimate',
    {
      config: { access: { auth: 'org', permission: 'jobs:read' } },
      schema: {
        tags: ['jobs'],
        operationId: 'estimateJob',
        summary: 'Tokens and cost a job would take (no provider is called)',
        headers: orgHeadersSchema,
        body: estimateBody,
        response: { 200: estimateSchema },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const { fileId, providerKeyId, model, prompt, system, output, maxTokens } = request.body;
      const file = await findFile(context.database, org.id, fileId);
      if (file === undefined) throw notFound('file');
      const { rows } = await context.database.query<{ provider: string }>(
        'SELECT provider FROM provider_keys WHERE org_id = $1 AND id = $2',
        [org.id, providerKeyId],
      );
      const provider = rows[0]?.provider;
      if (provider === undefined) throw notFound('provider key');
      // Prices are looked up as `openai:…` / `anthropic:…`; other endpoints have none. The providers
      // registered here are never called (an estimate sends nothing), so they hold no key.
      const family = provider === 'anthropic' ? 'anthropic' : provider === 'openai' ? 'openai' : 'tenant';
      const engine = createEngine({
        providers: {
          openai: createOpenAICompatibleProvider({ name: 'openai', apiKey: 'unused' }),
          anthropic: createAnthropicProvider({ apiKey: 'unused' }),
          tenant: createOpenAICompatibleProvider({ name: 'tenant', apiKey: 'unused' }),
        },
      });
      try {
        const estimate = await engine.estimate(
          openSource(file.format, () => context.storage.read(objectKeyFor(org.id, file.id))),
          {
            model: `${family}:${model}`,
            prompt,
            output,
            ...(system === undefined ? {} : { system }),
            ...(maxTokens === undefined ? {} : { maxTokens }),
          },
        );
        return { ...estimate, model };
      } catch (error) {
        if (LLMBatchError.isInstance(error) && error.code === 'invalid-options') {
          throw new ApiError({ code: 'invalid-request', message: error.message });
        }
        throw error;
      } finally {
        await engine.close();
      }
    },
  );
}
