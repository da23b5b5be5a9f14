import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

const uploadClaimsSchema = z.object({
  purpose: z.literal('upload'),
  orgId: z.uuid(),
  fileId: z.uuid(),
  name: z.string().min(1),
  format: z.enum(['csv', 'jsonl']),
  sizeBytes: z.number().int().min(1),
  /** Unix time in milliseconds after which the URL no longer accepts bytes. */
  expiresAt: z.number().int(),
});

const downloadClaimsSchema = z.object({
  purpose: z.literal('download'),
  orgId: z.uuid(),
  fileId: z.uuid(),
  expiresAt: z.number().int(),
});

const claimsSchema = z.discriminatedUnion('purpose', [uploadClaimsSchema, downloadClaimsSchema]);

/** What a signed upload token grants: one object of one organisation, of one exact size, until `expiresAt`. */
export type UploadClaims = z.infer<typeof uploadClaimsSchema>;

/** What a signed download token grants: reading one file of one organisation until `expiresAt`. */
export type DownloadClaims = z.infer<typeof downloadClaimsSchema>;

/** Why a token was refused. */
export type TokenProblem = 'malformed' | 'bad-signature' | 'wrong-purpose';

/** The claims of a valid token, or why it was refused. */
export type Verified<Claims> = { ok: true; claims: Claims } | { ok: false; problem: TokenProblem };

/**
 * Signs and checks the tokens in upload and download URLs. They need no table: everything the
 * server must know travels in the token, and an HMAC (keyed from the server's JWT secret by HKDF,
 * so no new secret is needed) proves the server issued it unchanged.
 *
 * @example
 * ```ts
 * const tokens = createTransferTokens(config.jwtSecret);
 * const token = tokens.sign({ purpose: 'download', orgId, fileId, expiresAt: Date.now() + 60_000 });
 * tokens.verifyDownload(token); // { ok: true, claims: { … } }
 * ```
 */
export interface TransferTokens {
  /** A token carrying `claims`. */
  sign(claims: UploadClaims | DownloadClaims): string;
  /** The claims of an upload token this server signed, or why it is refused (expiry is the caller's to check). */
  verifyUpload(token: string): Verified<UploadClaims>;
  /** The claims of a download token this server signed, or why it is refused (expiry is the caller's to check). */
  verifyDownload(token: string): Verified<DownloadClaims>;
}

const version = 'v1';

/**
 * Builds {@link TransferTokens} keyed from `serverSecret` (HKDF-SHA256 with a purpose label, so the
 * key differs from the one that signs access tokens).
 *
 * @example
 * ```ts
 * const tokens = createTransferTokens(config.jwtSecret);
 * ```
 */
export function createTransferTokens(serverSecret: string): TransferTokens {
  const key = Buffer.from(
    hkdfSync('sha256', serverSecret, 'llmbatch', 'llmbatch storage transfer tokens v1', 32),
  );
  const mac = (payload: string) => createHmac('sha256', key).update(`${version}.${payload}`).digest();
  function verify<Claims>(token: string, schema: z.ZodType<Claims>): Verified<Claims> {
    const [given, payload, signature, ...rest] = token.split('.');
    if (given !== version || payload === undefined || signature === undefined || rest.length > 0)
      return { ok: false, problem: 'malformed' };
    // Compared as text: base64url decoding would ignore stray characters.
    const expected = Buffer.from(mac(payload).toString('base64url'));
    const provided = Buffer.from(signature);
    if (provided.length !== expected.length || !timingSafeEqual(provided, expected))
      return { ok: false, problem: 'bad-signature' };
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, problem: 'malformed' };
    }
    if (!claimsSchema.safeParse(decoded).success) return { ok: false, problem: 'malformed' };
    const parsed = schema.safeParse(decoded);
    return parsed.success ? { ok: true, claims: parsed.data } : { ok: false, problem: 'wrong-purpose' };
  }
  return {
    sign(claims) {
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${version}.${payload}.${mac(payload).toString('base64url')}`;
    },
    verifyUpload: (token) => verify(token, uploadClaimsSchema),
    verifyDownload: (token) => verify(token, downloadClaimsSchema),
  };
}
