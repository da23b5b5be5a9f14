import { randomBytes } from 'node:crypto';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { migrationStatus } from '../db/migrate.js';
import { ApiError } from './api-error.js';
import type { AppContext } from './app-context.js';
import type { ApiApp } from './create-app.js';

type CheckResult = 'ok' | 'failed';

async function check(run: () => Promise<boolean>): Promise<CheckResult> {
  try {
    return (await run()) ? 'ok' : 'failed';
  } catch {
    return 'failed';
  }
}

/**
 * Runs the readiness checks: the database answers, every migration is applied, and the data
 * directory accepts a write.
 *
 * @example
 * ```ts
 * const checks = await readinessChecks(context);
 * ```
 */
export async function readinessChecks(
  context: AppContext,
): Promise<{ database: CheckResult; migrations: CheckResult; storage: CheckResult }> {
  const database = await check(async () => (await context.database.query('SELECT 1 AS one')).rowCount === 1);
  const migrations =
    database === 'ok'
      ? await check(async () => (await migrationStatus(context.database)).pending.length === 0)
      : 'failed';
  const storage = await check(async () => {
    await mkdir(context.config.dataDirectory, { recursive: true });
    const probe = join(context.config.dataDirectory, `.ready-${randomBytes(6).toString('hex')}`);
    await writeFile(probe, 'ok');
    await unlink(probe);
    return true;
  });
  return { database, migrations, storage };
}

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (it can serve: database, migrations, storage).
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [healthRoutes] });
 * ```
 */
export function healthRoutes(app: ApiApp, context: AppContext): void {
  app.get(
    '/healthz',
    {
      config: { access: { auth: 'public' } },
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        operationId: 'getHealth',
        summary: 'The process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  const checkSchema = z.enum(['ok', 'failed']);
  app.get(
    '/readyz',
    {
      config: { access: { auth: 'public' } },
      logLevel: 'warn',
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'The server can serve requests (database reachable, migrations applied, storage writable)',
        response: {
          200: z.object({
            status: z.literal('ready'),
            checks: z.object({ database: checkSchema, migrations: checkSchema, storage: checkSchema }),
          }),
        },
      },
    },
    async () => {
      const checks = await readinessChecks(context);
      if (Object.values(checks).some((result) => result !== 'ok')) {
        throw new ApiError({
          code: 'not-ready',
          message: 'Not ready to serve requests',
          details: { checks },
        });
      }
      return { status: 'ready' as const, checks };
    },
  );
}
