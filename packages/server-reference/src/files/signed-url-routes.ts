import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { isUniqueViolation } from '../auth/users.js';
import { orgHeadersSchema, requireOrg, requirePrincipal } from '../http/access-control.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { timestampSchema } from '../http/schemas.js';
import { objectKeyFor, StorageError, uploadKeyFor } from '../storage/storage-driver.js';
import { inspectObject, moveObject, sendFileContent, withoutClosing } from './file-content.js';
import {
  attachmentDisposition,
  contentTypeOf,
  fileNameSchema,
  fileSchema,
  formatFromName,
  formatSchema,
  toFile,
  tooLarge,
} from './file-schemas.js';
import { findFile, insertFile } from './file-store.js';
import { createTransferTokens, type TokenProblem } from './transfer-tokens.js';

/** How long after its URL expired an upload may still be completed (a long `PUT` may end late). */
const completionGraceMs = 24 * 60 * 60 * 1000;

const signedUrlOptionsSchema = z
  .object({
    available: z.boolean().describe('Whether POST /v1/files/uploads and download URLs are offered.'),
    servedBy: z
      .enum(['object-store', 'server'])
      .describe(
        '`object-store`: URLs point at the object store (S3 presigned URLs); `server`: at this server.',
      ),
    maxUploadBytes: z.number().int().describe('Largest upload through a signed URL, in bytes.'),
    maxExpiresInSeconds: z.number().int().describe('Longest lifetime of a signed URL, in seconds.'),
  })
  // Unnamed: a named schema nested in another leaves an unused `…Input` twin in the document.
  .describe('Uploads and downloads through signed URLs.');

const uploadOptionsSchema = z
  .object({
    maxUploadBytes: z.number().int().describe('Largest upload through POST /v1/files, in bytes.'),
    signedUrls: signedUrlOptionsSchema,
  })
  .meta({ id: 'UploadOptions' });

const signedUploadSchema = z
  .object({
    fileId: z.uuid().describe('The id the file will have once the upload is completed.'),
    uploadToken: z.string().describe('Pass to POST /v1/files/uploads/complete after the PUT.'),
    method: z.literal('PUT'),
    url: z.string().describe('Send the bytes here, with exactly `sizeBytes` bytes and `headers`.'),
    headers: z.record(z.string(), z.string()).describe('Headers the PUT must carry as given.'),
    sizeBytes: z.number().int(),
    expiresAt: timestampSchema,
  })
  .meta({ id: 'SignedUpload' });

const signedDownloadSchema = z
  .object({ url: z.string(), expiresAt: timestampSchema })
  .meta({ id: 'SignedDownload' });

const tokenQuery = z.object({
  token: z.string().min(1).max(4096).describe('The signed token of the URL.'),
});

function refused(problem: TokenProblem): ApiError {
  return new ApiError({
    code: 'invalid-token',
    message: 'This signed URL is not valid: it was altered, or not issued by this server for this use',
    details: { reason: problem },
  });
}

function expired(what: string): ApiError {
  return new ApiError({ code: 'token-expired', message: `${what} has expired; ask for a new one` });
}

/**
 * Uploads and downloads through signed, expiring, organisation-scoped URLs, so bytes need not pass
 * through a client that holds API credentials (a browser, another service):
 *
 * - `GET /v1/files/upload-options`: the limits, and whether signed URLs are offered (and by whom).
 * - `POST /v1/files/uploads`: a URL for one `PUT` of exactly the declared size. With S3 it is a
 *   presigned URL of the store (length and type signed); otherwise `PUT /v1/uploads?token=…` on
 *   this server, whose token (HMAC-signed, keyed from the JWT secret) carries the organisation,
 *   file id, name, format, size and expiry, so nothing is stored until bytes arrive.
 * - `POST /v1/files/uploads/complete`: moves the bytes to the file's key (out of reach of the URL),
 *   checks size and format and computes the SHA-256 as a streamed upload does, and creates the
 *   file; a bad object is deleted. Completing twice answers the same file.
 * - `GET /v1/files/{fileId}/download-url` and `GET /v1/downloads?token=…`: the same for reading.
 *
 * @example
 * ```ts
 * signedUrlRoutes(app, context); // registered by fileRoutes
 * ```
 */
export function signedUrlRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock, storage, maxUploadBytes, config } = context;
  const ttlSeconds = config.storage?.signedUrlTtlSeconds ?? 900;
  const tokens = createTransferTokens(config.jwtSecret);
  const presign = storage.presign;
  const signedUploadLimit = Math.min(maxUploadBytes, presign?.maxUploadBytes ?? Number.POSITIVE_INFINITY);
  // Without PUBLIC_URL the URL names this server as the client reached it.
  const originOf = (request: FastifyRequest) =>
    config.storage?.signedUrlBase ?? `${request.protocol}://${request.host}`;
  const lifetime = (asked: number | undefined) => Math.min(asked ?? ttlSeconds, ttlSeconds);
  const fileParams = z.object({ fileId: z.uuid() });

  app.get(
    '/v1/files/upload-options',
    {
      config: { access: { auth: 'org', permission: 'files:read' } },
      schema: {
        tags: ['files'],
        operationId: 'getUploadOptions',
        summary: 'Upload limits, and whether uploads and downloads through signed URLs are offered',
        headers: orgHeadersSchema,
        response: { 200: uploadOptionsSchema },
      },
    },
    async () => ({
      maxUploadBytes,
      signedUrls: {
        available: true,
        servedBy: presign === undefined ? ('server' as const) : ('object-store' as const),
        maxUploadBytes: signedUploadLimit,
        maxExpiresInSeconds: ttlSeconds,
      },
    }),
  );

  app.post(
    '/v1/files/uploads',
    {
      config: { access: { auth: 'org', permission: 'files:write' } },
      schema: {
        tags: ['files'],
        operationId: 'createSignedUpload',
        summary: 'A signed URL for uploading one file of a declared size with a single PUT',
        description:
          'Nothing is stored yet. PUT exactly `sizeBytes` bytes to `url` with `headers`, then call POST /v1/files/uploads/complete with `uploadToken`. Answers 413 when `sizeBytes` exceeds the signed-upload limit.',
        headers: orgHeadersSchema,
        body: z.object({
          name: fileNameSchema.describe('File name shown in listings, e.g. reviews.csv.'),
          format: formatSchema.optional().describe('The format; implied by a .csv or .jsonl name otherwise.'),
          sizeBytes: z.number().int().min(1).describe('Exact size of the file in bytes.'),
          expiresInSeconds: z
            .number()
            .int()
            .min(1)
            .optional()
            .describe('Lifetime of the URL; longer than the server allows is shortened to its maximum.'),
        }),
        response: { 201: signedUploadSchema },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { name, sizeBytes } = request.body;
      const format = request.body.format ?? formatFromName(name);
      if (format === undefined) {
        throw new ApiError({
          code: 'invalid-request',
          message: 'Name the format: a .csv or .jsonl name, or `format`',
        });
      }
      if (sizeBytes > signedUploadLimit) throw tooLarge(signedUploadLimit);
      const fileId = randomUUID();
      const expiresInSeconds = lifetime(request.body.expiresInSeconds);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + expiresInSeconds * 1000);
      const uploadToken = tokens.sign({
        purpose: 'upload',
        orgId: org.id,
        fileId,
        name,
        format,
        sizeBytes,
        expiresAt: expiresAt.getTime(),
      });
      const contentType = contentTypeOf[format];
      const target =
        presign === undefined
          ? {
              url: `${originOf(request)}/v1/uploads?token=${encodeURIComponent(uploadToken)}`,
              headers: { 'content-type': contentType },
            }
          : await presign.upload(uploadKeyFor(org.id, fileId), {
              sizeBytes,
              contentType,
              expiresInSeconds,
              now,
            });
      return reply.status(201).send({
        fileId,
        uploadToken,
        method: 'PUT' as const,
        url: target.url,
        headers: target.headers,
        sizeBytes,
        expiresAt: expiresAt.toISOString(),
      });
    },
  );

  app.post(
    '/v1/files/uploads/complete',
    {
      config: { access: { auth: 'org', permission: 'files:write' } },
      schema: {
        tags: ['files'],
        operationId: 'completeSignedUpload',
        summary: 'Turn the bytes sent to a signed upload URL into a file',
        description:
          'Checks the uploaded object (exact size, format of its start, SHA-256) and creates the file (201). An invalid object is deleted (400). Completing an upload again answers the same file (200). Another organisation’s upload answers 404.',
        headers: orgHeadersSchema,
        body: z.object({ uploadToken: z.string().min(1).max(4096) }),
        response: { 200: fileSchema, 201: fileSchema },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const verified = tokens.verifyUpload(request.body.uploadToken);
      if (!verified.ok) throw refused(verified.problem);
      const { claims } = verified;
      // Another organisation's upload looks exactly like one that does not exist.
      if (claims.orgId !== org.id) throw notFound('upload');
      const existing = await findFile(database, org.id, claims.fileId);
      if (existing !== undefined) return reply.status(200).send(toFile(existing));
      if (clock.now().getTime() > claims.expiresAt + completionGraceMs) throw expired('This upload');

      const staged = uploadKeyFor(org.id, claims.fileId);
      const key = objectKeyFor(org.id, claims.fileId);
      try {
        // Moved first: from here on the upload URL can no longer change what is checked and kept.
        await moveObject(storage, staged, key);
      } catch (error) {
        if (!(StorageError.isInstance(error) && error.code === 'object-not-found')) throw error;
        if (await storage.exists(key)) {
          throw new ApiError({ code: 'conflict', message: 'Another request is completing this upload' });
        }
        throw new ApiError({
          code: 'invalid-request',
          message: 'Nothing has been uploaded to this URL yet',
          details: { reason: 'not-uploaded' },
        });
      }
      let stored: { sizeBytes: number; sha256: string };
      try {
        stored = await inspectObject(storage.read(key), claims.format, claims.sizeBytes);
        if (stored.sizeBytes !== claims.sizeBytes) {
          throw new ApiError({
            code: 'invalid-request',
            message: `The upload holds ${stored.sizeBytes} bytes; ${claims.sizeBytes} were declared`,
            details: { sizeBytes: stored.sizeBytes, declaredSizeBytes: claims.sizeBytes },
          });
        }
      } catch (error) {
        await storage.remove(key);
        throw error;
      }
      try {
        const row = await database.transaction(async (transaction) => {
          const inserted = await insertFile(transaction, {
            id: claims.fileId,
            orgId: org.id,
            name: claims.name,
            format: claims.format,
            ...stored,
            createdBy: requirePrincipal(request).userId,
            createdAt: clock.now(),
          });
          await recordAudit(transaction, actorOf(request), {
            action: 'file.create',
            targetType: 'file',
            targetId: claims.fileId,
            orgId: org.id,
            details: {
              name: claims.name,
              format: claims.format,
              sizeBytes: stored.sizeBytes,
              via: 'signed-url',
            },
          });
          return inserted;
        });
        return reply.status(201).send(toFile(row));
      } catch (error) {
        // A concurrent completion of the same upload won: its file is this one.
        const winner = isUniqueViolation(error) ? await findFile(database, org.id, claims.fileId) : undefined;
        if (winner !== undefined) return reply.status(200).send(toFile(winner));
        await storage.remove(key);
        throw error;
      }
    },
  );

  app.get(
    '/v1/files/:fileId/download-url',
    {
      config: { access: { auth: 'org', permission: 'files:read' } },
      schema: {
        tags: ['files'],
        operationId: 'createDownloadUrl',
        summary: 'A signed URL that downloads the file without credentials until it expires',
        headers: orgHeadersSchema,
        params: fileParams,
        querystring: z.object({
          expiresInSeconds: z.coerce
            .number()
            .int()
            .min(1)
            .optional()
            .describe('Lifetime of the URL; longer than the server allows is shortened to its maximum.'),
        }),
        response: { 200: signedDownloadSchema },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const row = await findFile(database, org.id, request.params.fileId);
      if (row === undefined) throw notFound('file');
      const expiresInSeconds = lifetime(request.query.expiresInSeconds);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + expiresInSeconds * 1000);
      if (presign !== undefined) {
        const { url } = await presign.download(objectKeyFor(org.id, row.id), {
          expiresInSeconds,
          now,
          contentType: contentTypeOf[row.format],
          contentDisposition: attachmentDisposition(row.name),
        });
        return { url, expiresAt: expiresAt.toISOString() };
      }
      const token = tokens.sign({
        purpose: 'download',
        orgId: org.id,
        fileId: row.id,
        expiresAt: expiresAt.getTime(),
      });
      return {
        url: `${originOf(request)}/v1/downloads?token=${encodeURIComponent(token)}`,
        expiresAt: expiresAt.toISOString(),
      };
    },
  );

  app.get(
    '/v1/downloads',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['files'],
        operationId: 'downloadSignedFile',
        summary: 'The bytes of a file, through a signed download URL (no credentials)',
        description:
          'Answers 401 token-expired after the URL expired and 400 invalid-token when it was altered.',
        querystring: tokenQuery,
      },
    },
    async (request, reply) => {
      const verified = tokens.verifyDownload(request.query.token);
      if (!verified.ok) throw refused(verified.problem);
      const { claims } = verified;
      if (clock.now().getTime() > claims.expiresAt) throw expired('This download URL');
      const row = await findFile(database, claims.orgId, claims.fileId);
      if (row === undefined) throw notFound('file');
      return sendFileContent(reply, storage, objectKeyFor(claims.orgId, row.id), row);
    },
  );

  void app.register(async (scoped) => {
    // The body is the raw request stream, whatever its type; nothing buffers it.
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scoped.withTypeProvider<ZodTypeProvider>().put(
      '/v1/uploads',
      {
        config: { access: { auth: 'public' } },
        schema: {
          tags: ['files'],
          operationId: 'putSignedUpload',
          summary: 'Send the bytes of a signed upload (URL from POST /v1/files/uploads; no credentials)',
          description:
            'Streams exactly the declared number of bytes into storage. Answers 413 past the declared size and 400 for a shorter body (nothing is kept either way), 401 token-expired after the URL expired, 400 invalid-token when it was altered, and 409 once the upload was completed.',
          querystring: tokenQuery,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const verified = tokens.verifyUpload(request.query.token);
        if (!verified.ok) throw refused(verified.problem);
        const { claims } = verified;
        if (clock.now().getTime() > claims.expiresAt) throw expired('This upload URL');
        if ((await findFile(database, claims.orgId, claims.fileId)) !== undefined) {
          throw new ApiError({ code: 'conflict', message: 'This upload was already completed' });
        }
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > claims.sizeBytes) throw tooLarge(claims.sizeBytes);
        const key = uploadKeyFor(claims.orgId, claims.fileId);
        let sizeBytes: number;
        try {
          ({ sizeBytes } = await storage.write(key, withoutClosing(request.raw), {
            maxBytes: claims.sizeBytes,
            contentType: contentTypeOf[claims.format],
          }));
        } catch (error) {
          if (StorageError.isInstance(error) && error.code === 'object-too-large')
            throw tooLarge(claims.sizeBytes);
          throw error;
        }
        if (sizeBytes !== claims.sizeBytes) {
          await storage.remove(key);
          throw new ApiError({
            code: 'invalid-request',
            message: `The body was ${sizeBytes} bytes; this URL takes exactly ${claims.sizeBytes}`,
            details: { sizeBytes, declaredSizeBytes: claims.sizeBytes },
          });
        }
        return reply.status(204).send(null);
      },
    );
  });
}
