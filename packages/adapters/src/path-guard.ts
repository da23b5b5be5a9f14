import type { Stats } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AdapterError, toAdapterError } from './errors.js';

/**
 * Options of {@link createPathGuard}.
 *
 * @example
 * ```ts
 * createPathGuard({ root: '/srv/llmbatch/files/org-1' });
 * ```
 */
export interface PathGuardOptions {
  /**
   * Directory every path must stay inside, after `..`, absolute paths and symlinks are resolved. Relative
   * paths are resolved against it. The server always sets one.
   * @default undefined (any path; relative paths resolve against the working directory)
   */
  root?: string | undefined;
}

/**
 * Checks paths before an adapter opens them. Create one with {@link createPathGuard}.
 *
 * @example
 * ```ts
 * const guard = createPathGuard({ root: process.cwd() });
 * const target = await guard.resolveWritable('out/results.jsonl');
 * ```
 */
export interface PathGuard {
  /** The root as given (resolved to an absolute path), or `undefined` when paths are not confined. */
  readonly root: string | undefined;
  /**
   * Returns the real path of an existing regular file that lies inside the root.
   * Throws `invalid-path`, `path-outside-root`, `not-found` or `not-a-regular-file`.
   */
  resolveReadable(path: string): Promise<string>;
  /**
   * Returns the path a sink should open: the real path of the parent directory (which must exist and lie
   * inside the root) joined with the file name. An existing target must be a regular file; a symlink target
   * must resolve inside the root.
   */
  resolveWritable(path: string): Promise<string>;
}

/** A file kind that adapters refuse, for messages and `details.kind`. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isSocket()) return 'socket';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function validate(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new AdapterError({ code: 'invalid-path', message: 'A path must be a non-empty string' });
  }
  if (path.includes('\0')) {
    throw new AdapterError({ code: 'invalid-path', message: 'A path must not contain a NUL byte' });
  }
  return path;
}

function outside(path: string): AdapterError {
  return new AdapterError({
    code: 'path-outside-root',
    message: `Path "${path}" is outside the allowed directory`,
    details: { path },
  });
}

function notRegular(path: string, kind: string): AdapterError {
  return new AdapterError({
    code: 'not-a-regular-file',
    message: `Path "${path}" is a ${kind}, not a regular file`,
    details: { path, kind },
  });
}

/**
 * Creates the path guard every file adapter uses. With a `root`, paths are resolved against it and
 * real-path checked, so `..`, absolute paths and symlinks cannot leave it. With or without a root,
 * directories, devices, FIFOs and sockets are refused.
 *
 * @example
 * ```ts
 * const guard = createPathGuard({ root: '/srv/llmbatch/files/org-1' });
 * const real = await guard.resolveReadable('uploads/data.csv');
 * await guard.resolveReadable('../../etc/passwd'); // throws AdapterError code 'path-outside-root'
 * ```
 */
export function createPathGuard(options: PathGuardOptions = {}): PathGuard {
  const givenRoot = options.root === undefined ? undefined : resolve(validate(options.root));
  let realRoot: Promise<string> | undefined;

  const rootReal = (): Promise<string> => {
    realRoot ??= (async () => {
      const root = givenRoot as string;
      try {
        const real = await realpath(root);
        const stats = await stat(real);
        if (!stats.isDirectory()) throw new Error('not a directory');
        return real;
      } catch (error) {
        throw toAdapterError(error, 'invalid-options', 'The root directory is not usable', { root });
      }
    })();
    return realRoot;
  };

  /** Resolves `path` lexically and checks it stays inside the root (real or as given). */
  const lexical = async (path: string): Promise<{ candidate: string; root: string | undefined }> => {
    if (givenRoot === undefined) return { candidate: resolve(path), root: undefined };
    const root = await rootReal();
    if (isAbsolute(path)) {
      const candidate = resolve(path);
      if (isInside(root, candidate)) return { candidate, root };
      if (isInside(givenRoot, candidate))
        return { candidate: join(root, relative(givenRoot, candidate)), root };
      throw outside(path);
    }
    const candidate = resolve(root, path);
    if (!isInside(root, candidate)) throw outside(path);
    return { candidate, root };
  };

  return {
    root: givenRoot,

    async resolveReadable(input) {
      const path = validate(input);
      const { candidate, root } = await lexical(path);
      let real: string;
      try {
        real = await realpath(candidate);
      } catch (error) {
        if (isMissing(error)) {
          throw new AdapterError({
            code: 'not-found',
            message: `File "${path}" does not exist`,
            details: { path },
          });
        }
        throw toAdapterError(error, 'io', `Cannot resolve "${path}"`, { path });
      }
      if (root !== undefined && !isInside(root, real)) throw outside(path);
      const stats = await stat(real);
      if (!stats.isFile()) throw notRegular(path, kindOf(stats));
      return real;
    },

    async resolveWritable(input) {
      const path = validate(input);
      const { candidate, root } = await lexical(path);
      const name = basename(candidate);
      if (name === '' || name === '.' || name === '..' || candidate === root)
        throw notRegular(path, 'directory');
      let parent: string;
      try {
        parent = await realpath(dirname(candidate));
      } catch (error) {
        if (isMissing(error)) {
          throw new AdapterError({
            code: 'not-found',
            message: `The directory of "${path}" does not exist`,
            details: { path },
          });
        }
        throw toAdapterError(error, 'io', `Cannot resolve "${path}"`, { path });
      }
      if (root !== undefined && !isInside(root, parent)) throw outside(path);
      const target = join(parent, name);
      let stats: Stats;
      try {
        stats = await lstat(target);
      } catch (error) {
        if (isMissing(error)) return target;
        throw toAdapterError(error, 'io', `Cannot inspect "${path}"`, { path });
      }
      if (stats.isSymbolicLink()) {
        let real: string;
        try {
          real = await realpath(target);
        } catch {
          throw notRegular(path, 'dangling symlink');
        }
        if (root !== undefined && !isInside(root, real)) throw outside(path);
        const targetStats = await stat(real);
        if (!targetStats.isFile()) throw notRegular(path, kindOf(targetStats));
        return real;
      }
      if (!stats.isFile()) throw notRegular(path, kindOf(stats));
      return target;
    },
  };
}
