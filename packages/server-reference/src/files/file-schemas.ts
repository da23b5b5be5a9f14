import * as z from 'zod';
import { ApiError } from '../http/api-error.js';
import { timestampSchema } from '../http/schemas.js';
import type { FileFormat } from './file-format.js';
import type { FileRow } from './file-store.js';

/** The formats an input file may have, as the API names them. */
export const formatSchema = z.enum(['csv', 'jsonl']).meta({ id: 'FileFormat' });

/** A stored input file as the API shows it. */
export const fileSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    format: formatSchema,
    sizeBytes: z.number().int(),
    sha256: z.string(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'File' });

/** A file name as clients may give it: no folders, at most 255 characters. */
export const fileNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^/\\\0]+$/, 'must be a file name without folders');

/**
 * The API shape of a `files` row.
 *
 * @example
 * ```ts
 * return reply.status(201).send(toFile(row));
 * ```
 */
export function toFile(row: FileRow): z.infer<typeof fileSchema> {
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    createdAt: row.created_at.toISOString(),
  };
}

/** The `Content-Type` a file of each format is served (and stored) with. */
export const contentTypeOf: Record<FileFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson',
};

/**
 * The format a file name implies (`.csv`, `.jsonl`, `.ndjson`), if any.
 *
 * @example
 * ```ts
 * formatFromName('reviews.CSV'); // 'csv'
 * ```
 */
export function formatFromName(name: string): FileFormat | undefined {
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(name)) return 'jsonl';
  return undefined;
}

/**
 * The 413 of an upload past the limit.
 *
 * @example
 * ```ts
 * if (declared > maxUploadBytes) throw tooLarge(maxUploadBytes);
 * ```
 */
export function tooLarge(maxBytes: number): ApiError {
  return new ApiError({
    code: 'payload-too-large',
    message: `The upload exceeds the limit of ${maxBytes} bytes`,
    details: { maxBytes },
  });
}

/**
 * The 400 of a file whose start does not parse as its format.
 *
 * @example
 * ```ts
 * if (problem !== undefined) throw invalidFile('csv', problem);
 * ```
 */
export function invalidFile(format: FileFormat, problem: string): ApiError {
  return new ApiError({
    code: 'invalid-request',
    message: `Not a valid ${format} file: ${problem}`,
    details: { format },
  });
}

/**
 * `attachment; filename="…"` with the name reduced to characters every client handles.
 *
 * @example
 * ```ts
 * reply.header('content-disposition', attachmentDisposition(row.name));
 * ```
 */
export function attachmentDisposition(name: string): string {
  return `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`;
}
