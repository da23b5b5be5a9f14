import { randomUUID } from 'node:crypto';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { actorOf, recordAudit } from '../audit/audit-log.js';
import { orgHeadersSchema, requireOrg, requirePrincipal } from '../http/access-control.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppContext } from '../http/app-context.js';
import type { ApiApp } from '../http/create-app.js';
import { decodeCursor, pageQuerySchema, pageSchema, toPage } from '../http/schemas.js';
import { objectKeyFor, StorageError } from '../storage/storage-driver.js';
import { sendFileContent } from './file-content.js';
import { checkHead, type FileFormat, headBytes, peekStream } from './file-format.js';
import {
  contentTypeOf,
  fileNameSchema,
  fileSchema,
  formatFromName,
  formatSchema,
  invalidFile,
  toFile,
  tooLarge,
} from './file-schemas.js';
import { findFile, insertFile, listFiles } from './file-store.js';
import { signedUrlRoutes } from './signed-url-routes.js';

/** Content types an upload may have, and the format each implies (octet-stream: from the name). */
const uploadTypes: Record<string, FileFormat | undefined> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/octet-stream': undefined,
};

const uploadQuery = z.object({
  name: fileNameSchema.describe('File name shown in listings, e.g. reviews.csv.'),
  format: formatSchema.optional().describe('Overrides the format implied by the content type or the name.'),
});

function formatOf(contentType: string | undefined, name: string, given: FileFormat | undefined): FileFormat {
  if (given !== undefined) return given;
  const base = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const fromType = uploadTypes[base] ?? formatFromName(name);
  if (fromType !== undefined) return fromType;
  throw new ApiError({
    code: 'invalid-request',
    message:
      'Name the format: a text/csv or application/x-ndjson content type, a .csv or .jsonl name, or ?format=',
  });
}

/**
 * Input files of an organisation: streamed upload (raw body, size limit enforced while streaming,
 * format checked by parsing the head), listing, metadata, streamed download and deletion, and the
 * signed upload and download URLs of {@link signedUrlRoutes}. Objects are stored under keys built
 * from the organisation id and the file id only.
 *
 * @example
 * ```ts
 * createApp({ context, logger, routes: [fileRoutes] });
 * ```
 */
export function fileRoutes(app: ApiApp, context: AppContext): void {
  const { database, clock, storage, maxUploadBytes } = context;
  const fileParams = z.object({ fileId: z.uuid() });

  void app.register(async (scoped) => {
    // The body is handed to the route as the raw request stream; nothing buffers it.
    scoped.addContentTypeParser(Object.keys(uploadTypes), (_request, payload, done) => done(null, payload));
    scoped.withTypeProvider<ZodTypeProvider>().post(
      '/v1/files',
      {
        config: { access: { auth: 'org', permission: 'files:write' } },
        schema: {
          tags: ['files'],
          operationId: 'uploadFile',
          summary: 'Upload an input file (the raw bytes as the body: text/csv or application/x-ndjson)',
          description: `Streams the body into storage. Answers 413 past the upload limit (nothing is kept) and 400 when the start of the file does not parse as its format.`,
          headers: orgHeadersSchema,
          querystring: uploadQuery,
          response: { 201: fileSchema },
        },
      },
      async (request, reply) => {
        const org = requireOrg(request);
        const principal = requirePrincipal(request);
        const { name } = request.query;
        const format = formatOf(request.headers['content-type'], name, request.query.format);
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxUploadBytes) throw tooLarge(maxUploadBytes);
        const { head, complete, body } = await peekStream(request.raw, headBytes);
        const problem = await checkHead(format, head, complete);
        if (problem !== undefined) throw invalidFile(format, problem);
        const id = randomUUID();
        const key = objectKeyFor(org.id, id);
        let stored: { sizeBytes: number; sha256: string };
        try {
          stored = await storage.write(key, body, {
            maxBytes: maxUploadBytes,
            contentType: contentTypeOf[format],
          });
        } catch (error) {
          if (StorageError.isInstance(error) && error.code === 'object-too-large')
            throw tooLarge(maxUploadBytes);
          throw error;
        }
        try {
          const row = await database.transaction(async (transaction) => {
            const inserted = await insertFile(transaction, {
              id,
              orgId: org.id,
              name,
              format,
              ...stored,
              createdBy: principal.userId,
              createdAt: clock.now(),
            });
            await recordAudit(transaction, actorOf(request), {
              action: 'file.create',
              targetType: 'file',
              targetId: id,
              orgId: org.id,
              details: { name, format, sizeBytes: stored.sizeBytes },
            });
            return inserted;
          });
          return reply.status(201).send(toFile(row));
        } catch (error) {
          await storage.remove(key);
          throw error;
        }
      },
    );
  });

  app.get(
    '/v1/files',
    {
      config: { access: { auth: 'org', permission: 'files:read' } },
      schema: {
        tags: ['files'],
        operationId: 'listFiles',
        summary: 'Files of the organisation, newest first',
        headers: orgHeadersSchema,
        querystring: pageQuerySchema,
        response: { 200: pageSchema(fileSchema) },
      },
    },
    async (request) => {
      const org = requireOrg(request);
      const after = decodeCursor(request.query.cursor);
      const rows = await listFiles(database, org.id, {
        limit: request.query.limit + 1,
        ...(after === undefined ? {} : { after }),
      });
      return toPage(rows, request.query.limit, toFile);
    },
  );

  app.get(
    '/v1/files/:fileId',
    {
      config: { access: { auth: 'org', permission: 'files:read' } },
      schema: {
        tags: ['files'],
        operationId: 'getFile',
        summary: 'One file',
        headers: orgHeadersSchema,
        params: fileParams,
        response: { 200: fileSchema },
      },
    },
    async (request) => {
      const row = await findFile(database, requireOrg(request).id, request.params.fileId);
      if (row === undefined) throw notFound('file');
      return toFile(row);
    },
  );

  app.get(
    '/v1/files/:fileId/content',
    {
      config: { access: { auth: 'org', permission: 'files:read' } },
      schema: {
        tags: ['files'],
        operationId: 'downloadFile',
        summary: 'The bytes of a file, streamed',
        headers: orgHeadersSchema,
        params: fileParams,
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const row = await findFile(database, org.id, request.params.fileId);
      if (row === undefined) throw notFound('file');
      return sendFileContent(reply, storage, objectKeyFor(org.id, row.id), row);
    },
  );

  app.delete(
    '/v1/files/:fileId',
    {
      config: { access: { auth: 'org', permission: 'files:write' } },
      schema: {
        tags: ['files'],
        operationId: 'deleteFile',
        summary: 'Delete a file (refused while an unfinished job reads it)',
        headers: orgHeadersSchema,
        params: fileParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const org = requireOrg(request);
      const { fileId } = request.params;
      await database.transaction(async (transaction) => {
        const { rows: busy } = await transaction.query<{ id: string }>(
          `SELECT id FROM jobs WHERE org_id = $1 AND file_id = $2 AND status IN ('queued', 'running', 'cancelling') LIMIT 1`,
          [org.id, fileId],
        );
        if (busy[0] !== undefined) {
          throw new ApiError({
            code: 'conflict',
            message: 'An unfinished job reads this file',
            details: { jobId: busy[0].id },
          });
        }
        const { rowCount } = await transaction.query('DELETE FROM files WHERE org_id = $1 AND id = $2', [
          org.id,
          fileId,
        ]);
        if (rowCount === 0) throw notFound('file');
        await recordAudit(transaction, actorOf(request), {
          action: 'file.delete',
          targetType: 'file',
          targetId: fileId,
          orgId: org.id,
        });
      });
      await storage.remove(objectKeyFor(org.id, fileId));
      return reply.status(204).send(null);
    },
  );

  signedUrlRoutes(app, context);
}
