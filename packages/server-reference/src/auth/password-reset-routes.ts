import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { ApiError } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { emailSchema, passwordSchema } from '../http/schemas.js';
import { deliver } from '../mail/deliver.js';
import { resetPasswordMail } from '../mail/templates.js';
import { consumeAttempt } from './attempt-limiter.js';
import { acceptedSchema } from './auth-schemas.js';
import { consumeOneTimeToken, createOneTimeToken, oneTimeTokenLifetimeHours } from './one-time-tokens.js';
import { hashPassword } from './passwords.js';
import { revokeAllSessions } from './sessions.js';
import { findUserByEmail } from './users.js';

/**
 * Password reset: `POST /v1/auth/password-reset` mails a single-use link, and
 * `POST /v1/auth/password-reset/confirm` sets the new password and ends every session.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [passwordResetRoutes] });
 * ```
 */
export function passwordResetRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock, attemptLimits: limits } = context;

  app.post(
    '/v1/auth/password-reset',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['auth'],
        operationId: 'requestPasswordReset',
        summary: 'Mail a password reset link',
        description: 'Answers 202 whether or not the address has an account.',
        body: z.strictObject({ email: emailSchema }),
        response: { 202: acceptedSchema },
      },
    },
    async (request, reply) => {
      const now = clock.now();
      const { email } = request.body;
      await consumeAttempt(
        database,
        [
          { key: `reset:ip:${request.ip}`, limit: limits.mailPerIp },
          { key: `reset:account:${email.toLowerCase()}`, limit: limits.mailPerAccount },
        ],
        now,
      );
      const mail = await database.transaction(async (transaction) => {
        const user = await findUserByEmail(transaction, email);
        if (user === undefined || user.suspended_at !== null) return undefined;
        const token = await createOneTimeToken(transaction, user.id, 'reset-password', now);
        await recordAudit(transaction, actorOf(request, user.id), {
          action: 'user.password-reset-request',
          targetType: 'user',
          targetId: user.id,
        });
        return resetPasswordMail(
          { appUrl: context.config.appUrl },
          user.email,
          token,
          oneTimeTokenLifetimeHours['reset-password'],
        );
      });
      if (mail !== undefined) await deliver(context.mailer, request, mail);
      return reply.status(202).send({
        status: 'accepted' as const,
        message: 'If the address has an account, a mail is on its way',
      });
    },
  );

  app.post(
    '/v1/auth/password-reset/confirm',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['auth'],
        operationId: 'confirmPasswordReset',
        summary: 'Set a new password with the token from the reset mail; every session ends',
        body: z.strictObject({ token: z.string().min(1).max(200), password: passwordSchema }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const now = clock.now();
      await consumeAttempt(database, [{ key: `token:ip:${request.ip}`, limit: limits.tokenPerIp }], now);
      const passwordHash = await hashPassword(request.body.password, context.passwordHashing);
      const userId = await database.transaction(async (transaction) => {
        const owner = await consumeOneTimeToken(transaction, request.body.token, 'reset-password', now);
        if (owner === undefined) return undefined;
        // Following the mailed link proves the address, so it counts as verified too.
        await transaction.query(
          `UPDATE users SET password_hash = $2, email_verified_at = coalesce(email_verified_at, $3), updated_at = $3
            WHERE id = $1`,
          [owner, passwordHash, now],
        );
        const ended = await revokeAllSessions(transaction, owner, 'password-reset', now);
        await recordAudit(transaction, actorOf(request, owner), {
          action: 'user.password-reset',
          targetType: 'user',
          targetId: owner,
          details: { sessionsEnded: ended },
        });
        return owner;
      });
      if (userId === undefined) {
        throw new ApiError({
          code: 'invalid-token',
          message: 'This link is not valid: it was used, expired or replaced',
        });
      }
      return reply.status(204).send(null);
    },
  );
}
