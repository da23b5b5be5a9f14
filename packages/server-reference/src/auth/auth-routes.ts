import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { tenantScope } from '../db/tenant-scope.js';
import { requireUser } from '../http/access-control.js';
import { ApiError } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { emailSchema, passwordSchema } from '../http/schemas.js';
import { deliver } from '../mail/deliver.js';
import type { MailMessage } from '../mail/mailer.js';
import { alreadyRegisteredMail, verifyEmailMail } from '../mail/templates.js';
import { assertUnderLimit, consumeAttempt, countAttempt } from './attempt-limiter.js';
import { acceptedSchema, tokenResponseSchema } from './auth-schemas.js';
import { consumeOneTimeToken, createOneTimeToken, oneTimeTokenLifetimeHours } from './one-time-tokens.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { openSession, revokeSession, rotateRefreshToken } from './sessions.js';
import { findUserByEmail, isUniqueViolation, toUser, userSchema } from './users.js';

const accepted = {
  status: 'accepted' as const,
  message: 'If the address can be used, a mail is on its way',
};
const invalidCredentials = () =>
  new ApiError({ code: 'invalid-credentials', message: 'Wrong e-mail or password' });

/**
 * Sign-up, e-mail verification, login, token refresh and logout under `/v1/auth`.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [authRoutes] });
 * ```
 */
export function authRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock, attemptLimits: limits } = context;
  const links = { appUrl: context.config.appUrl };
  // Hashed once so a login for an unknown address costs as much as one for a known address.
  const decoyHash = hashPassword('decoy password for unknown accounts', context.passwordHashing);

  const issueTokens = async (userId: string, sessionId: string, refreshToken: string) => {
    const access = await context.accessTokens.issue({ userId, sessionId });
    return {
      tokenType: 'Bearer' as const,
      accessToken: access.token,
      expiresIn: access.expiresInSeconds,
      refreshToken,
    };
  };

  app.post(
    '/v1/auth/signup',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['auth'],
        operationId: 'signUp',
        summary: 'Create an account and its first organisation; a confirmation mail follows',
        description:
          'Answers 202 whether or not the address already has an account, so addresses cannot be probed.',
        body: z.strictObject({
          email: emailSchema,
          password: passwordSchema,
          name: z.string().trim().max(100).optional(),
          orgName: z.string().trim().min(1).max(100).optional(),
        }),
        response: { 202: acceptedSchema },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const now = clock.now();
      await consumeAttempt(
        database,
        [
          { key: `signup:ip:${request.ip}`, limit: limits.mailPerIp },
          { key: `mail:account:${email.toLowerCase()}`, limit: limits.mailPerAccount },
        ],
        now,
      );
      const passwordHash = await hashPassword(password, context.passwordHashing);
      const name = request.body.name ?? '';
      let mail: MailMessage;
      try {
        mail = await database.transaction(async (transaction) => {
          const existing = await findUserByEmail(transaction, email);
          if (existing !== undefined) return alreadyRegisteredMail(links, existing.email);
          const { rows } = await transaction.query<{ id: string }>(
            'INSERT INTO users (email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id',
            [email, name, passwordHash, now],
          );
          const userId = rows[0]?.id ?? '';
          const orgName =
            request.body.orgName ?? `${name === '' ? (email.split('@')[0] ?? email) : name}'s organisation`;
          const org = await transaction.query<{ id: string }>(
            'INSERT INTO orgs (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id',
            [orgName, now],
          );
          const orgId = org.rows[0]?.id ?? '';
          await tenantScope(transaction, orgId).insert('memberships', {
            user_id: userId,
            role: 'owner',
            created_at: now,
          });
          const actor = actorOf(request, userId);
          await recordAudit(transaction, actor, {
            action: 'user.signup',
            targetType: 'user',
            targetId: userId,
          });
          await recordAudit(transaction, actor, {
            action: 'org.create',
            targetType: 'org',
            targetId: orgId,
            orgId,
          });
          const token = await createOneTimeToken(transaction, userId, 'verify-email', now);
          return verifyEmailMail(links, email, token, oneTimeTokenLifetimeHours['verify-email']);
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        mail = alreadyRegisteredMail(links, email);
      }
      await deliver(context.mailer, request, mail);
      return reply.status(202).send(accepted);
    },
  );

  app.post(
    '/v1/auth/verify-email',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['auth'],
        operationId: 'verifyEmail',
        summary: 'Confirm an e-mail address with the token from the confirmation mail',
        body: z.strictObject({ token: z.string().min(1).max(200) }),
        response: { 200: z.object({ emailVerified: z.literal(true) }) },
      },
    },
    async (request) => {
      const now = clock.now();
      await consumeAttempt(database, [{ key: `token:ip:${request.ip}`, limit: limits.tokenPerIp }], now);
      const userId = await database.transaction(async (transaction) => {
        const owner = await consumeOneTimeToken(transaction, request.body.token, 'verify-email', now);
        if (owner === undefined) return undefined;
        await transaction.query(
          'UPDATE users SET email_verified_at = coalesce(email_verified_at, $2), updated_at = $2 WHERE id = $1',
          [owner, now],
        );
        await recordAudit(transaction, actorOf(request, owner), {
          action: 'user.verify-email',
          targetType: 'user',
          targetId: owner,
        });
        return owner;
      });
      if (userId === undefined) {
        throw new ApiError({
          code: 'invalid-token',
          message: 'This link is not valid: it was used, expired or replaced',
        });
      }
      return { emailVerified: true as const };
    },
  );

  app.post(
    '/v1/auth/verify-email/resend',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['auth'],
        operationId: 'resendVerificationEmail',
        summary: 'Send the confirmation mail again',
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
          { key: `mail:ip:${request.ip}`, limit: limits.mailPerIp },
          { key: `mail:account:${email.toLowerCase()}`, limit: limits.mailPerAccount },
        ],
        now,
      );
      const mail = await database.transaction(async (transaction) => {
        const user = await findUserByEmail(transaction, email);
        if (user === undefined || user.email_verified_at !== null || user.suspended_at !== null)
          return undefined;
        const token = await createOneTimeToken(transaction, user.id, 'verify-email', now);
        await recordAudit(transaction, actorOf(request, user.id), {
          action: 'user.resend-verification',
          targetType: 'user',
          targetId: user.id,
        });
        return verifyEmailMail(links, user.email, token, oneTimeTokenLifetimeHours['verify-email']);
      });
      if (mail !== undefined) await deliver(context.mailer, request, mail);
      return reply.status(202).send(accepted);
    },
  );

  app.post(
    '/v1/auth/login',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['auth'],
        operationId: 'logIn',
        summary: 'Exchange e-mail and password for an access token and a refresh token',
        body: z.strictObject({ email: emailSchema, password: z.string().min(1).max(200) }),
        response: { 200: tokenResponseSchema.extend({ user: userSchema }) },
      },
    },
    async (request) => {
      const now = clock.now();
      const { email, password } = request.body;
      const buckets = [
        { key: `login:account:${email.toLowerCase()}`, limit: limits.loginPerAccount },
        { key: `login:ip:${request.ip}`, limit: limits.loginPerIp },
      ];
      await assertUnderLimit(database, buckets, now);
      const user = await findUserByEmail(database, email);
      const matches = await verifyPassword(password, user?.password_hash ?? (await decoyHash));
      if (user === undefined || !matches) {
        await countAttempt(database, buckets, now);
        throw invalidCredentials();
      }
      if (user.suspended_at !== null)
        throw new ApiError({ code: 'suspended', message: 'This account is suspended' });
      if (user.email_verified_at === null) {
        throw new ApiError({ code: 'email-not-verified', message: 'Confirm your e-mail address first' });
      }
      const session = await database.transaction(async (transaction) => {
        const opened = await openSession(transaction, user.id, now, context.config.refreshTokenTtlSeconds);
        await recordAudit(transaction, actorOf(request, user.id), {
          action: 'session.create',
          targetType: 'session',
          targetId: opened.sessionId,
        });
        return opened;
      });
      request.log.info({ userId: user.id }, 'user logged in');
      return { ...(await issueTokens(user.id, session.sessionId, session.refreshToken)), user: toUser(user) };
    },
  );

  app.post(
    '/v1/auth/refresh',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['auth'],
        operationId: 'refreshTokens',
        summary: 'Exchange a refresh token for new tokens (the old refresh token stops working)',
        description:
          'Presenting a refresh token a second time revokes its whole session: the answer is 401 refresh-token-reused.',
        body: z.strictObject({ refreshToken: z.string().min(1).max(200) }),
        response: { 200: tokenResponseSchema },
      },
    },
    async (request) => {
      const now = clock.now();
      const result = await rotateRefreshToken(
        database,
        request.body.refreshToken,
        now,
        context.config.refreshTokenTtlSeconds,
      );
      switch (result.outcome) {
        case 'rotated':
          return issueTokens(result.userId, result.sessionId, result.refreshToken);
        case 'reused':
          await recordAudit(database, actorOf(request, result.userId), {
            action: 'session.reuse-detected',
            targetType: 'session',
            targetId: result.sessionId,
          });
          request.log.warn(
            { userId: result.userId, sessionId: result.sessionId },
            'refresh token reused; session revoked',
          );
          throw new ApiError({
            code: 'refresh-token-reused',
            message: 'This refresh token was already used; the session is revoked, log in again',
          });
        case 'expired':
          throw new ApiError({
            code: 'token-expired',
            message: 'The refresh token has expired; log in again',
          });
        case 'suspended':
          throw new ApiError({ code: 'suspended', message: 'This account is suspended' });
        default:
          throw new ApiError({ code: 'unauthenticated', message: 'The refresh token is not valid' });
      }
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      config: { access: { auth: 'user' } },
      schema: {
        tags: ['auth'],
        operationId: 'logOut',
        summary: 'End this session: its refresh token and access tokens stop working',
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      await database.transaction(async (transaction) => {
        await revokeSession(transaction, principal.sessionId, 'logout', clock.now());
        await recordAudit(transaction, actorOf(request), {
          action: 'session.revoke',
          targetType: 'session',
          targetId: principal.sessionId,
        });
      });
      return reply.status(204).send(null);
    },
  );
}
