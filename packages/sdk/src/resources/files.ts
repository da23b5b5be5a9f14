import type { components } from '../generated/openapi.js';
import type { QueryParameters } from '../http/operation-types.js';
import { orgHeader, unwrap } from '../http/unwrap.js';
import { paginate } from '../pagination.js';
import { toUploadBody, type UploadSource } from '../streaming/upload-body.js';
import { type APIClient, type OrgCallOptions, signalOf } from './resource-context.js';

/** A stored input file. */
type StoredFile = components['schemas']['File'];

/** A raw request through the client (auth, org, retries), throwing typed errors. */
type SendRequest = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * Options of `files.upload`.
 *
 * @example
 * ```ts
 * await client.files.upload('./reviews.csv', { name: 'reviews-2026-03.csv' });
 * ```
 */
export interface UploadOptions extends OrgCallOptions {
  /** The file's name. @default the source's file name (path, `File`, Node file stream), else required */
  name?: string;
  /** `csv` or `jsonl`. @default implied by the name's extension */
  format?: components['schemas']['FileFormat'];
}

const contentTypes = { csv: 'text/csv', jsonl: 'application/x-ndjson' } as const;

function formatFromName(name: string): keyof typeof contentTypes | undefined {
  const extension = name.toLowerCase().split('.').pop();
  if (extension === 'csv') return 'csv';
  if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
  return undefined;
}

/**
 * Input files (CSV or JSONL) of an organisation: streamed upload, listing, metadata, streamed
 * download, deletion.
 *
 * @example
 * ```ts
 * const file = await client.files.upload(new File([csv], 'reviews.csv'));
 * ```
 */
export function createFilesResource(api: APIClient, send: SendRequest) {
  const orgHeaders = (options: OrgCallOptions | undefined): Record<string, string> =>
    options?.orgId === undefined ? {} : { 'llmbatch-org': options.orgId };
  return {
    /**
     * Uploads a file, streaming it (never read whole into memory). An upload is sent once: a stream
     * cannot be replayed, and the server stores each upload as a new file.
     */
    upload: async (source: UploadSource, options: UploadOptions = {}): Promise<StoredFile> => {
      const prepared = await toUploadBody(source);
      const name = options.name ?? prepared.filename;
      if (name === undefined)
        throw new TypeError('files.upload needs `name` for a source without a file name');
      const format = options.format ?? formatFromName(name);
      const query = new URLSearchParams({
        name,
        ...(options.format === undefined ? {} : { format: options.format }),
      });
      const response = await send(`/v1/files?${query}`, {
        method: 'POST',
        body: prepared.body,
        headers: {
          'content-type': format === undefined ? 'application/octet-stream' : contentTypes[format],
          ...orgHeaders(options),
        },
        ...signalOf(options),
      });
      return (await response.json()) as StoredFile;
    },
    /** Every file, across pages. */
    list: (query: Omit<QueryParameters<'/v1/files', 'get'>, 'cursor'> = {}, options?: OrgCallOptions) =>
      paginate((cursor) =>
        unwrap(
          api.GET('/v1/files', {
            params: {
              query: { ...query, ...(cursor === undefined ? {} : { cursor }) },
              ...orgHeader(options?.orgId),
            },
            ...signalOf(options),
          }),
        ),
      ),
    /** One file's metadata. */
    get: (fileId: string, options?: OrgCallOptions) =>
      unwrap(
        api.GET('/v1/files/{fileId}', {
          params: { path: { fileId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      ),
    /** The file's bytes as a stream. */
    download: async (fileId: string, options?: OrgCallOptions): Promise<ReadableStream<Uint8Array>> => {
      const response = await send(`/v1/files/${encodeURIComponent(fileId)}/content`, {
        headers: orgHeaders(options),
        ...signalOf(options),
      });
      return response.body ?? new Blob([]).stream();
    },
    /** Deletes a file. */
    delete: async (fileId: string, options?: OrgCallOptions): Promise<void> => {
      await unwrap(
        api.DELETE('/v1/files/{fileId}', {
          params: { path: { fileId }, ...orgHeader(options?.orgId) },
          ...signalOf(options),
        }),
      );
    },
  };
}

/** The `client.files` resource. @example `for await (const file of client.files.list()) console.log(file.name);` */
export type FilesResource = ReturnType<typeof createFilesResource>;
