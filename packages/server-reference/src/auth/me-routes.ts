import * as z from 'zod';
import type { Role } from '../db/rows.js';
import { requireUser } from '../http/access-control.js';
import { ApiError } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { roleSchema } from '../http/schemas.js';
import { findUserById, toUser, userSchema } from './users.js';

/**
 * `GET /v1/me`: the logged-in user and the organisations they belong to.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [meRoutes] });
 * ```
 */
export function meRoutes(app: ApiApp, context: AppContext): void {
  app.get(
    '/v1/me',
    {
      config: { access: { auth: 'user' } },
      schema: {
        tags: ['auth'],
        operationId: 'getMe',
        summary: 'The logged-in user and their memberships',
        response: {
          200: z.object({
            user: userSchema,
            memberships: z.array(z.object({ orgId: z.uuid(), orgName: z.string(), role: roleSchema })),
          }),
        },
      },
    },
    async (request) => {
      const { userId } = requireUser(request);
      const user = await findUserById(context.database, userId);
      if (user === undefined)
        throw new ApiError({ code: 'unauthenticated', message: 'This account no longer exists' });
      const { rows } = await context.database.query<{ org_id: string; name: string; role: Role }>(
        `SELECT m.org_id, o.name, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id
          WHERE m.user_id = $1 ORDER BY m.created_at, m.org_id`,
        [userId],
      );
      return {
        user: toUser(user),
        memberships: rows.map((row) => ({ orgId: row.org_id, orgName: row.name, role: row.role })),
      };
    },
  );
}
