import type { Queryable } from '../db/database.js';
import type { FileFormat } from './file-format.js';

/** A row of `files`. */
export interface FileRow {
  id: string;
  org_id: string;
  name: string;
  format: FileFormat;
  size_bytes: string | number;
  sha256: string;
  created_by: string | null;
  created_at: Date;
}

/**
 * Queries on `files`; every one is limited to one organisation.
 *
 * @example
 * ```ts
 * const file = await findFile(database, org.id, fileId); // undefined for another org's file
 * ```
 */
export async function findFile(
  queryable: Queryable,
  orgId: string,
  fileId: string,
): Promise<FileRow | undefined> {
  const { rows } = await queryable.query<FileRow>('SELECT * FROM files WHERE org_id = $1 AND id = $2', [
    orgId,
    fileId,
  ]);
  return rows[0];
}

/**
 * Files of an organisation, newest first, after a keyset cursor.
 *
 * @example
 * ```ts
 * const rows = await listFiles(database, org.id, { limit: 51 });
 * ```
 */
export async function listFiles(
  queryable: Queryable,
  orgId: string,
  options: { limit: number; after?: { value: Date; id: string } },
): Promise<FileRow[]> {
  const { rows } =
    options.after === undefined
      ? await queryable.query<FileRow>(
          'SELECT * FROM files WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
          [orgId, options.limit],
        )
      : await queryable.query<FileRow>(
          `SELECT * FROM files WHERE org_id = $1 AND (created_at, id) < ($2, $3)
            ORDER BY created_at DESC, id DESC LIMIT $4`,
          [orgId, options.after.value, options.after.id, options.limit],
        );
  return rows;
}

/**
 * Records an uploaded file.
 *
 * @example
 * ```ts
 * await insertFile(transaction, { id, orgId, name: 'reviews.csv', format: 'csv', sizeBytes, sha256, createdBy, createdAt });
 * ```
 */
export async function insertFile(
  queryable: Queryable,
  file: {
    id: string;
    orgId: string;
    name: string;
    format: FileFormat;
    sizeBytes: number;
    sha256: string;
    createdBy: string;
    createdAt: Date;
  },
): Promise<FileRow> {
  const { rows } = await queryable.query<FileRow>(
    `INSERT INTO files (id, org_id, name, format, size_bytes, sha256, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      file.id,
      file.orgId,
      file.name,
      file.format,
      file.sizeBytes,
      file.sha256,
      file.createdBy,
      file.createdAt,
    ],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('INSERT INTO files returned no row');
  return row;
}
