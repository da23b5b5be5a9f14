import * as z from 'zod';
import type { Queryable } from '../db/database.js';
import type { UserRow } from '../db/rows.js';
import { timestampSchema } from '../http/schemas.js';

/** A user as the API shows it (never the password hash). */
export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    emailVerified: z.boolean(),
    isSuperadmin: z.boolean(),
    suspended: z.boolean(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'User' });

/**
 * Maps a `users` row to the API shape.
 *
 * @example
 * ```ts
 * return { user: toUser(row) };
 * ```
 */
export function toUser(row: UserRow): z.infer<typeof userSchema> {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified_at !== null,
    isSuperadmin: row.is_superadmin,
    suspended: row.suspended_at !== null,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Finds a user by e-mail address, ignoring case.
 *
 * @example
 * ```ts
 * const user = await findUserByEmail(database, 'Ada@Example.com');
 * ```
 */
export async function findUserByEmail(queryable: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await queryable.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [
    email,
  ]);
  return rows[0];
}

/**
 * Finds a user by id.
 *
 * @example
 * ```ts
 * const user = await findUserById(database, principal.userId);
 * ```
 */
export async function findUserById(queryable: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await queryable.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0];
}

/**
 * True when a database error is a unique-constraint violation (e.g. two sign-ups racing).
 *
 * @example
 * ```ts
 * if (isUniqueViolation(error)) return alreadyRegistered();
 * ```
 */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
