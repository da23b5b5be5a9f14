/**
 * What an upload accepts: a `Blob`/`File`, a web `ReadableStream`, a Node stream (or any async
 * iterable of bytes), or — in Node only — a file path or `file:` URL.
 *
 * @example
 * ```ts
 * const source: UploadSource = new File(['id,text\n'], 'reviews.csv');
 * ```
 */
export type UploadSource =
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | string
  | URL;

/**
 * An upload source turned into a request body.
 *
 * @example
 * ```ts
 * const { body, contentLength }: UploadBody = await toUploadBody(file);
 * ```
 */
export interface UploadBody {
  /** The body to send; never read into memory as a whole. */
  body: Blob | ReadableStream<Uint8Array>;
  /** The size in bytes when known up front (Blobs and files). */
  contentLength: number | undefined;
  /** The file name, when the source has one (`File`, path). */
  filename: string | undefined;
  /** The media type of a `Blob` that has one. */
  contentType: string | undefined;
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return (
    typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function'
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * A web stream that pulls from an async iterable one chunk at a time (so a Node stream is read only
 * as fast as the request sends it), closing the iterator when the consumer cancels.
 *
 * @example
 * ```ts
 * const body = iterableToStream(createReadStream('data.csv'));
 * ```
 */
export function iterableToStream(iterable: AsyncIterable<Uint8Array | string>): ReadableStream<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done === true) controller.close();
      else controller.enqueue(typeof value === 'string' ? encoder.encode(value) : value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

/**
 * Imports a Node built-in at run time. The specifier is a variable so browser bundlers (esbuild,
 * Vite, webpack) neither try to resolve nor include it; only the path branch ever calls this.
 */
function importNodeModule<Module>(specifier: string): Promise<Module> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<Module>;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * Turns any {@link UploadSource} into a streamed request body. Paths are opened with
 * `fs.openAsBlob` through a dynamic import, so browser bundles never load `node:fs`.
 *
 * @example
 * ```ts
 * const { body, contentLength } = await toUploadBody('./reviews.csv');
 * await fetch(url, { method: 'PUT', body, headers: { 'content-length': String(contentLength) } });
 * ```
 */
export async function toUploadBody(source: UploadSource): Promise<UploadBody> {
  if (source instanceof Blob) {
    const filename = 'name' in source && typeof source.name === 'string' ? source.name : undefined;
    return { body: source, contentLength: source.size, filename, contentType: source.type || undefined };
  }
  if (typeof source === 'string' || source instanceof URL) {
    const fs = await importNodeModule<typeof import('node:fs')>('node:fs');
    const url = await importNodeModule<typeof import('node:url')>('node:url');
    const path = typeof source === 'string' ? source : url.fileURLToPath(source);
    const blob = await fs.openAsBlob(path);
    return { body: blob, contentLength: blob.size, filename: baseName(path), contentType: undefined };
  }
  if (isReadableStream(source))
    return { body: source, contentLength: undefined, filename: undefined, contentType: undefined };
  if (isAsyncIterable(source)) {
    const path = (source as { path?: unknown }).path;
    return {
      body: iterableToStream(source),
      contentLength: undefined,
      filename: typeof path === 'string' ? baseName(path) : undefined,
      contentType: undefined,
    };
  }
  throw new TypeError('Upload source must be a Blob, a ReadableStream, a Node stream, a path or a file URL');
}
