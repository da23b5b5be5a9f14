import type { JsonBody } from '../http/operation-types.js';
import { unwrap } from '../http/unwrap.js';
import { type APIClient, type CallOptions, signalOf } from './resource-context.js';

/**
 * Sign-up, email verification, log-in, token refresh and password reset; `me()` for the caller.
 *
 * @example
 * ```ts
 * const session = await client.auth.logIn({ email, password });
 * ```
 */
export function createAuthResource(api: APIClient) {
  return {
    /** Creates an account and mails a verification link (202 whether or not the email is taken). */
    signUp: (body: JsonBody<'/v1/auth/signup', 'post'>, options?: CallOptions) =>
      unwrap(api.POST('/v1/auth/signup', { body, ...signalOf(options) })),
    /** Confirms an email address with the token from the mailed link. */
    verifyEmail: (body: JsonBody<'/v1/auth/verify-email', 'post'>, options?: CallOptions) =>
      unwrap(api.POST('/v1/auth/verify-email', { body, ...signalOf(options) })),
    /** Mails a new verification link. */
    resendVerificationEmail: (
      body: JsonBody<'/v1/auth/verify-email/resend', 'post'>,
      options?: CallOptions,
    ) => unwrap(api.POST('/v1/auth/verify-email/resend', { body, ...signalOf(options) })),
    /** Exchanges email and password for an access token (JWT) and a refresh token. */
    logIn: (body: JsonBody<'/v1/auth/login', 'post'>, options?: CallOptions) =>
      unwrap(api.POST('/v1/auth/login', { body, ...signalOf(options) })),
    /** Exchanges a refresh token for new tokens (the old refresh token stops working). */
    refresh: (body: JsonBody<'/v1/auth/refresh', 'post'>, options?: CallOptions) =>
      unwrap(api.POST('/v1/auth/refresh', { body, ...signalOf(options) })),
    /** Ends the session of the current access token. */
    logOut: async (options?: CallOptions): Promise<void> => {
      await unwrap(api.POST('/v1/auth/logout', { ...signalOf(options) }));
    },
    /** Mails a password reset link. */
    requestPasswordReset: (body: JsonBody<'/v1/auth/password-reset', 'post'>, options?: CallOptions) =>
      unwrap(api.POST('/v1/auth/password-reset', { body, ...signalOf(options) })),
    /** Sets a new password with the token from the mailed link. */
    confirmPasswordReset: async (
      body: JsonBody<'/v1/auth/password-reset/confirm', 'post'>,
      options?: CallOptions,
    ): Promise<void> => {
      await unwrap(api.POST('/v1/auth/password-reset/confirm', { body, ...signalOf(options) }));
    },
    /** The caller and their memberships. */
    me: (options?: CallOptions) => unwrap(api.GET('/v1/me', { ...signalOf(options) })),
  };
}

/** The `client.auth` resource. @example `const { user } = await client.auth.me();` */
export type AuthResource = ReturnType<typeof createAuthResource>;
