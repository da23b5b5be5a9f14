import * as z from 'zod';
import { notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { timestampSchema } from '../http/schemas.js';
import { readOutbox } from './mailer.js';

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * `GET /v1/dev/outbox`: mails the development outbox holds (newest first), so a local user can
 * follow verification and reset links without SMTP. Registered only outside production with the
 * outbox mailer, and answers only callers on this machine; everywhere else it is a 404.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [outboxRoutes] });
 * ```
 */
export function outboxRoutes(app: ApiApp, context: AppContext): void {
  if (context.config.environment === 'production' || context.mailer.kind !== 'outbox') return;
  app.get(
    '/v1/dev/outbox',
    {
      config: { access: { auth: 'public' } },
      schema: {
        hide: true,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.uuid(),
                to: z.string(),
                subject: z.string(),
                text: z.string(),
                createdAt: timestampSchema,
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      if (!loopback.has(request.ip)) throw notFound('route');
      const mails = await readOutbox(context.database, request.query.limit);
      return { data: mails.map((mail) => ({ ...mail, createdAt: mail.createdAt.toISOString() })) };
    },
  );
}
