import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdapterError } from '../errors.js';

/**
 * The formats a location can name.
 *
 * @example
 * ```ts
 * const format: LocationFormat = parseLocation('data.tsv').format; // 'tsv'
 * ```
 */
export type LocationFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'sqlite';

/**
 * A parsed location string.
 *
 * @example
 * ```ts
 * const { kind, path, parameters } = parseLocation('sqlite:./shop.db?table=reviews');
 * ```
 */
export interface Location {
  /** `stdio` for `-` (stdin for a source, stdout for a sink). */
  readonly kind: 'file' | 'sqlite' | 'stdio';
  /** The format, from the `format` option, the scheme or the file extension. */
  readonly format: LocationFormat;
  /** The file path (empty for `stdio`). */
  readonly path: string;
  /** Parameters after `?` in a `sqlite:` location, percent-decoded. */
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * File extensions the registry knows, and the format each means.
 *
 * @example
 * ```ts
 * knownExtensions['.ndjson']; // 'jsonl'
 * ```
 */
export const knownExtensions: Readonly<Record<string, LocationFormat>> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.sqlite': 'sqlite',
  '.sqlite3': 'sqlite',
  '.db': 'sqlite',
};

/**
 * Schemes the registry knows.
 *
 * @example
 * ```ts
 * console.log(`locations may start with ${knownSchemes.join(' or ')}`);
 * ```
 */
export const knownSchemes = ['file:', 'sqlite:'] as const;

const knownList = `known: "-" (stdin/stdout, JSONL), ${knownSchemes.join(', ')} and files ending in ${Object.keys(knownExtensions).join(', ')}`;

function unknown(message: string, location: string): AdapterError {
  return new AdapterError({
    code: 'unknown-scheme',
    message: `${message} (${knownList})`,
    details: { location, schemes: [...knownSchemes], extensions: Object.keys(knownExtensions) },
  });
}

function decode(text: string, location: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AdapterError({
      code: 'invalid-options',
      message: `Location "${location}" has a malformed percent-encoding`,
      details: { location },
    });
  }
}

/**
 * Parses `a=1&b=2` without turning `+` into a space, so `query=SELECT a+b FROM t` keeps its `+`.
 * Percent-encode `&` (`%26`) and `%` (`%25`) inside values.
 */
function parseParameters(text: string, location: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (text === '') return parameters;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decode(equals === -1 ? pair : pair.slice(0, equals), location);
    const value = equals === -1 ? '' : decode(pair.slice(equals + 1), location);
    if (Object.hasOwn(parameters, name)) {
      throw new AdapterError({
        code: 'invalid-options',
        message: `Location "${location}" repeats the parameter "${name}"`,
        details: { location, parameter: name },
      });
    }
    parameters[name] = value;
  }
  return parameters;
}

function byExtension(path: string, location: string, format: LocationFormat | undefined): LocationFormat {
  if (format !== undefined) return format;
  const found = knownExtensions[extname(path).toLowerCase()];
  if (found === undefined)
    throw unknown(`Cannot tell the format of "${location}" from its extension`, location);
  return found;
}

/**
 * Parses a location: `data.csv`, `data.tsv`, `data.jsonl`, `data.json`, `file:./x.tsv`, `file:///abs/x.csv`,
 * `sqlite:./db.sqlite?table=items`, `sqlite:./db.sqlite?query=SELECT ...`, or `-`. A `format` overrides
 * the extension. Unknown schemes and extensions throw `unknown-scheme` listing the known ones.
 *
 * @example
 * ```ts
 * parseLocation('sqlite:./shop.db?table=reviews');
 * // { kind: 'sqlite', format: 'sqlite', path: './shop.db', parameters: { table: 'reviews' } }
 * ```
 */
export function parseLocation(location: string, format?: LocationFormat): Location {
  if (typeof location !== 'string' || location.length === 0) {
    throw new AdapterError({ code: 'invalid-path', message: 'A location must be a non-empty string' });
  }
  if (location === '-') return { kind: 'stdio', format: format ?? 'jsonl', path: '', parameters: {} };
  // Two or more letters, so a Windows drive letter (C:\data.csv) is read as a path.
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return { kind: 'file', format: byExtension(location, location, format), path: location, parameters: {} };
  }
  const rest = location.slice(scheme.length + 1);
  if (scheme === 'file') {
    const path = rest.startsWith('//') ? fileURLToPath(location) : rest;
    if (path === '')
      throw new AdapterError({ code: 'invalid-path', message: `Location "${location}" has no path` });
    return { kind: 'file', format: byExtension(path, location, format), path, parameters: {} };
  }
  if (scheme === 'sqlite') {
    const question = rest.indexOf('?');
    const path = question === -1 ? rest : rest.slice(0, question);
    if (path === '')
      throw new AdapterError({ code: 'invalid-path', message: `Location "${location}" has no path` });
    const parameters = parseParameters(question === -1 ? '' : rest.slice(question + 1), location);
    return { kind: 'sqlite', format: 'sqlite', path, parameters };
  }
  throw unknown(`Unknown scheme "${scheme}:" in "${location}"`, location);
}
