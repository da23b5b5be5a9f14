import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AdapterError } from '../errors.js';

type SqliteModule = typeof import('node:sqlite');

let loaded: Promise<SqliteModule> | undefined;

/**
 * Loads `node:sqlite` on first use, so the rest of the package works on a Node.js without it. Throws
 * `sqlite-unavailable` when it is missing (Node.js < 22.5, or < 22.13 without `--experimental-sqlite`).
 */
export function loadSqlite(): Promise<SqliteModule> {
  loaded ??= import('node:sqlite').catch((error: unknown) => {
    loaded = undefined;
    throw new AdapterError({
      code: 'sqlite-unavailable',
      message: 'node:sqlite is not available in this Node.js (needs Node.js 22.13 or later)',
      cause: error,
    });
  });
  return loaded;
}

/** Quotes an SQLite identifier: wraps it in double quotes and doubles any inside. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) {
    throw new AdapterError({
      code: 'invalid-options',
      message: 'An SQLite identifier must not contain a NUL byte',
    });
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** Wraps an SQLite failure as an {@link AdapterError}. */
export function sqliteError(
  error: unknown,
  message: string,
  code: 'sqlite' | 'sqlite-query-rejected' = 'sqlite',
) {
  if (AdapterError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new AdapterError({ code, message: `${message}: ${reason}`, cause: error });
}

/** SQL functions a query may not call even on a read-only connection. */
const deniedFunctions = new Set(['load_extension', 'fts3_tokenizer', 'readfile', 'writefile', 'edit']);

/** What the read-only authorizer saw while a statement was prepared. */
export interface AuthorizerLog {
  /** Whether an SQLITE_SELECT action was authorized (every query statement has one). */
  sawSelect: boolean;
  /** The first action denied, by name, with its arguments. */
  denied: string | undefined;
}

/**
 * Installs an authorizer that allows only reading: SELECT, reading columns, calling functions (except
 * {@link deniedFunctions}) and recursive CTEs. Everything else (writes, DDL, ATTACH, PRAGMA, transactions)
 * is denied when the statement is prepared, so it never runs. Returns the log of the current statement and
 * a function that resets it. Throws `sqlite-unavailable` when this Node.js lacks `setAuthorizer`.
 */
export function installReadOnlyAuthorizer(
  sqlite: SqliteModule,
  database: DatabaseSync,
): { log: AuthorizerLog; reset(): void } {
  if (typeof database.setAuthorizer !== 'function') {
    throw new AdapterError({
      code: 'sqlite-unavailable',
      message: 'SQLite queries need DatabaseSync.setAuthorizer (Node.js 24.10 or later); use a table instead',
    });
  }
  const { constants } = sqlite;
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(constants)) {
    if (name.startsWith('SQLITE_') && !name.startsWith('SQLITE_CHANGESET')) names.set(value as number, name);
  }
  const log: AuthorizerLog = { sawSelect: false, denied: undefined };
  database.setAuthorizer((action, first, second) => {
    switch (action) {
      case constants.SQLITE_SELECT:
        log.sawSelect = true;
        return constants.SQLITE_OK;
      case constants.SQLITE_READ:
      case constants.SQLITE_RECURSIVE:
        return constants.SQLITE_OK;
      case constants.SQLITE_FUNCTION:
        if (second === null || !deniedFunctions.has(second.toLowerCase())) return constants.SQLITE_OK;
        break;
    }
    log.denied ??= [names.get(action) ?? `action ${action}`, first, second]
      .filter((part) => part !== null)
      .join(' ');
    return constants.SQLITE_DENY;
  });
  return {
    log,
    reset() {
      log.sawSelect = false;
      log.denied = undefined;
    },
  };
}

/** Throws `sqlite-query-rejected`. */
function rejected(reason: string, details: Record<string, unknown> = {}): AdapterError {
  return new AdapterError({
    code: 'sqlite-query-rejected',
    message: `SQLite query rejected: ${reason}`,
    details,
  });
}

/**
 * Prepares `sql` as exactly one read-only SELECT statement, under the authorizer installed by
 * {@link installReadOnlyAuthorizer}. Rejects (`sqlite-query-rejected`) anything the authorizer denies,
 * any statement without a SELECT (such as `VACUUM INTO`), and any text after the first statement other
 * than semicolons, whitespace and comments.
 */
export function prepareReadOnlyQuery(
  database: DatabaseSync,
  authorizer: { log: AuthorizerLog; reset(): void },
  sql: string,
): StatementSync {
  authorizer.reset();
  let statement: StatementSync;
  try {
    statement = database.prepare(sql);
  } catch (error) {
    if (authorizer.log.denied !== undefined) {
      throw rejected(`it is not read-only (${authorizer.log.denied} is not allowed)`, {
        denied: authorizer.log.denied,
      });
    }
    throw sqliteError(error, 'SQLite query rejected', 'sqlite-query-rejected');
  }
  if (!authorizer.log.sawSelect) throw rejected('only a SELECT statement is allowed');
  const first = statement.sourceSQL;
  if (!sql.startsWith(first)) throw rejected('the statement text could not be verified');
  const rest = sql.slice(first.length);
  if (rest.trim() !== '') {
    let trailing: StatementSync | undefined;
    try {
      trailing = database.prepare(rest);
    } catch (error) {
      // node:sqlite reports a text holding only semicolons, spaces and comments this way.
      if ((error as { code?: unknown }).code !== 'ERR_INVALID_ARG_VALUE') {
        throw rejected('only one statement is allowed');
      }
    }
    if (trailing !== undefined) throw rejected('only one statement is allowed');
  }
  authorizer.reset();
  return statement;
}
