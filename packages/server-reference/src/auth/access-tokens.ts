import { errors, jwtVerify, SignJWT } from 'jose';
import { ApiError } from '../http/api-error.js';
import type { WallClock } from '../wall-clock.js';

const issuer = 'llmbatch';
const audience = 'llmbatch-api';

/** Signs and verifies short-lived JWT access tokens (HS256). */
export interface AccessTokens {
  /** Signs a token for a user's session; returns it and its lifetime in seconds. */
  issue(claims: { userId: string; sessionId: string }): Promise<{ token: string; expiresInSeconds: number }>;
  /** Verifies a token; throws an `ApiError` (`token-expired` or `unauthenticated`) when it is not valid. */
  verify(token: string): Promise<{ userId: string; sessionId: string }>;
}

/**
 * Creates the access-token signer from `JWT_SECRET`.
 *
 * @example
 * ```ts
 * const tokens = createAccessTokens({ secret: config.jwtSecret, ttlSeconds: 900, clock: systemWallClock });
 * const { token } = await tokens.issue({ userId, sessionId });
 * ```
 */
export function createAccessTokens(options: {
  secret: string;
  ttlSeconds: number;
  clock: WallClock;
}): AccessTokens {
  const key = new TextEncoder().encode(options.secret);
  return {
    async issue({ userId, sessionId }) {
      const now = Math.floor(options.clock.now().getTime() / 1000);
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + options.ttlSeconds)
        .sign(key);
      return { token, expiresInSeconds: options.ttlSeconds };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer,
          audience,
          algorithms: ['HS256'],
          currentDate: options.clock.now(),
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
          throw new Error('missing claims');
        return { userId: payload.sub, sessionId: payload.sid };
      } catch (error) {
        if (error instanceof errors.JWTExpired) {
          throw new ApiError({ code: 'token-expired', message: 'The access token has expired; refresh it' });
        }
        throw new ApiError({
          code: 'unauthenticated',
          message: 'The access token is not valid',
          cause: error,
        });
      }
    },
  };
}
