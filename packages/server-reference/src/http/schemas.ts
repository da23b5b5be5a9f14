import * as z from 'zod';
import { apiErrorStatus } from './api-error.js';

/** The body of every error response. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum(
        Object.keys(apiErrorStatus) as [keyof typeof apiErrorStatus, ...(keyof typeof apiErrorStatus)[]],
      ),
      message: z.string(),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({
    id: 'ErrorResponse',
    description: 'Every failure: a code to switch on, a message for people, the request id.',
  });

/** A UUID path or body field. */
export const idSchema = z.uuid();

/** An e-mail address as accepted everywhere (trimmed, at most 254 characters). */
export const emailSchema = z.string().trim().max(254).pipe(z.email());

/** A new password: 10 to 200 characters. */
export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(200);

/** A timestamp in responses. */
export const timestampSchema = z.iso.datetime({ offset: true });

/** Cursor paging parameters. */
export const pageQuerySchema = z.object({
  cursor: z.string().max(200).optional().describe('The `nextCursor` of the previous page.'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/**
 * A page of items with the cursor of the next page (null on the last page).
 *
 * @example
 * ```ts
 * const schema = pageSchema(userSchema);
 * ```
 */
export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}

/** The role of a member. */
export const roleSchema = z.enum(['owner', 'admin', 'member', 'viewer']).meta({ id: 'Role' });

/** The role of an API token (never owner). */
export const apiTokenRoleSchema = z.enum(['admin', 'member', 'viewer']).meta({ id: 'ApiTokenRole' });

/** An empty JSON object (accepted bodies of actions without input). */
export const emptyObjectSchema = z.strictObject({});

/**
 * Encodes a keyset cursor `(value, id)`.
 *
 * @example
 * ```ts
 * const nextCursor = encodeCursor(last.created_at, last.id);
 * ```
 */
export function encodeCursor(value: Date, id: string): string {
  return Buffer.from(JSON.stringify([value.toISOString(), id]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor from {@link encodeCursor}; undefined for a malformed one.
 *
 * @example
 * ```ts
 * const after = decodeCursor(query.cursor);
 * ```
 */
export function decodeCursor(cursor: string | undefined): { value: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = z
      .tuple([z.iso.datetime({ offset: true }), z.uuid()])
      .parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { value: new Date(parsed[0]), id: parsed[1] };
  } catch {
    return undefined;
  }
}

/**
 * The page of `rows` (fetched with `limit + 1`) and the cursor of the next one.
 *
 * @example
 * ```ts
 * const rows = await scope.list('api_tokens', { limit: query.limit + 1, after });
 * return toPage(rows, query.limit, toApiToken);
 * ```
 */
export function toPage<Row extends { id: string; created_at: Date }, Item>(
  rows: readonly Row[],
  limit: number,
  map: (row: Row) => Item,
): { data: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null,
  };
}
