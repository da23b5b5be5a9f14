import * as z from 'zod';

/** Tokens returned by login and refresh. */
export const tokenResponseSchema = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string().describe('JWT for the Authorization header; short-lived.'),
    expiresIn: z.number().int().describe('Seconds until the access token expires.'),
    refreshToken: z.string().describe('Single-use token for POST /v1/auth/refresh; store it securely.'),
  })
  .meta({ id: 'TokenResponse' });

/** The answer of requests whose outcome must not reveal whether an address has an account. */
export const acceptedSchema = z
  .object({ status: z.literal('accepted'), message: z.string() })
  .meta({ id: 'Accepted' });
