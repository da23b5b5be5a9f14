import { NotFoundError } from '../errors.js';
import type { components } from '../generated/openapi.js';
import { readErrorResponse } from '../http/error-from-response.js';
import type { JsonBody, QueryParameters } from '../http/operation-types.js';
import type { RetryingFetch } from '../http/retrying-fetch.js';
import { orgHeader, unwrap } from '../http/unwrap.js';
import { paginate } from '../pagination.js';
import { toUploadBody, type UploadBody, type UploadSource } from '../streaming/upload-body.js';
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
  /**
   * How the bytes travel. `auto`: through a signed URL when the server offers one (straight to the
   * object store on S3) and the size is known up front (a `Blob`, `File` or path), else streamed
   * through `POST /v1/files`. `signed-url` insists on the first, `api` on the second.
   * @default 'auto'
   */
  via?: 'auto' | 'signed-url' | 'api';
}

/**
 * Options of `files.downloadUrl`.
 *
 * @example
 * ```ts
 * const { url } = await client.files.downloadUrl(fileId, { expiresInSeconds: 300 });
 * ```
 */
export interface DownloadUrlOptions extends OrgCallOptions {
  /** Lifetime of the URL, in seconds (the server shortens it to its maximum). @default the server's maximum */
  expiresInSeconds?: number;
}

const contentTypes = { csv: 'text/csv', jsonl: 'application/x-ndjson' } as const;

function formatFromName(name: string): keyof typeof contentTypes | undefined {
  const extension = name.toLowerCase().split('.').pop();
  if (extension === 'csv') return 'csv';
  if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
  return undefined;
}

/**
 * Input files (CSV or JSONL) of an organisation: streamed upload (through a signed URL when the
 * server offers one), listing, metadata, streamed download, signed download URLs, deletion.
 *
 * `transfer` sends requests to signed URLs: with retries, and without the client's credentials,
 * which must never reach an object store.
 *
 * @example
 * ```ts
 * const file = await client.files.upload(new File([csv], 'reviews.csv'));
 * ```
 */
export function createFilesResource(api: APIClient, send: SendRequest, transfer: RetryingFetch) {
  const orgHeaders = (options: OrgCallOptions | undefined): Record<string, string> =>
    options?.orgId === undefined ? {} : { 'llmbatch-org': options.orgId };

  const uploadOptions = (options?: OrgCallOptions) =>
    unwrap(
      api.GET('/v1/files/upload-options', { params: { ...orgHeader(options?.orgId) }, ...signalOf(options) }),
    );

  /** Whether the server takes an upload of `sizeBytes` through a signed URL (a server without the route does not). */
  const signedUploadOffered = async (sizeBytes: number, options: OrgCallOptions): Promise<boolean> => {
    try {
      const { signedUrls } = await uploadOptions(options);
      return signedUrls.available && sizeBytes <= signedUrls.maxUploadBytes;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  };

  const createUpload = (
    body: JsonBody<'/v1/files/uploads', 'post'>,
    options?: OrgCallOptions,
  ): Promise<components['schemas']['SignedUpload']> =>
    unwrap(
      api.POST('/v1/files/uploads', { body, params: { ...orgHeader(options?.orgId) }, ...signalOf(options) }),
    );

  const completeUpload = (uploadToken: string, options?: OrgCallOptions): Promise<StoredFile> =>
    unwrap(
      api.POST('/v1/files/uploads/complete', {
        body: { uploadToken },
        params: { ...orgHeader(options?.orgId) },
        ...signalOf(options),
      }),
    );

  const uploadThroughSignedUrl = async (
    prepared: UploadBody & { contentLength: number },
    name: string,
    format: keyof typeof contentTypes,
    options: OrgCallOptions,
  ): Promise<StoredFile> => {
    const upload = await createUpload({ name, format, sizeBytes: prepared.contentLength }, options);
    // `duplex` lets a streamed body through (Node's fetch requires it; browsers ignore it).
    const init: RequestInit & { duplex?: 'half' } = {
      method: 'PUT',
      body: prepared.body,
      headers: upload.headers,
      duplex: 'half',
      ...signalOf(options),
    };
    // A Blob (a File, a path) is read anew for a retry instead of being held in memory.
    const body = prepared.body;
    const rebuild = body instanceof Blob ? () => new Request(upload.url, { ...init, body }) : undefined;
    const response = await transfer(new Request(upload.url, init), rebuild);
    if (!response.ok) throw await readErrorResponse(response);
    await response.body?.cancel();
    return completeUpload(upload.uploadToken, options);
  };

  return {
    /**
     * Uploads a file, streaming it (never read whole into memory). When the server offers signed
     * upload URLs and the size is known (a `Blob`, `File` or path), the bytes go to that URL (on S3,
     * straight to the object store) and the upload is then completed; otherwise they are streamed
     * through the API. A stream is sent once (it cannot be replayed); each upload is a new file.
     */
    upload: async (source: UploadSource, options: UploadOptions = {}): Promise<StoredFile> => {
      const prepared = await toUploadBody(source);
      const name = options.name ?? prepared.filename;
      if (name === undefined)
        throw new TypeError('files.upload needs `name` for a source without a file name');
      const format = options.format ?? formatFromName(name);
      const via = options.via ?? 'auto';
      if (via !== 'api') {
        const sizeBytes = prepared.contentLength;
        if (via === 'signed-url' && (sizeBytes === undefined || format === undefined)) {
          throw new TypeError(
            'A signed-URL upload needs the size and format up front: pass a Blob, File or path, and a .csv/.jsonl name or `format`',
          );
        }
        if (
          sizeBytes !== undefined &&
          sizeBytes > 0 &&
          format !== undefined &&
          (via === 'signed-url' || (await signedUploadOffered(sizeBytes, options)))
        ) {
          return uploadThroughSignedUrl({ ...prepared, contentLength: sizeBytes }, name, format, options);
        }
      }
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
    /** The server's upload limits, and whether (and by whom) signed URLs are served. */
    uploadOptions,
    /**
     * A signed URL for uploading one file of `sizeBytes` bytes with a single `PUT` and no
     * credentials, e.g. from a browser; pass its `uploadToken` to `completeUpload` afterwards.
     */
    createUpload,
    /** Turns the bytes sent to a signed upload URL into a file (checked by the server). */
    completeUpload,
    /** A signed URL that downloads the file without credentials until it expires. */
    downloadUrl: (fileId: string, options: DownloadUrlOptions = {}) =>
      unwrap(
        api.GET('/v1/files/{fileId}/download-url', {
          params: {
            path: { fileId },
            query:
              options.expiresInSeconds === undefined ? {} : { expiresInSeconds: options.expiresInSeconds },
            ...orgHeader(options.orgId),
          },
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
