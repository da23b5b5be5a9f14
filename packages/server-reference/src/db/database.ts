/**
 * The result of one SQL statement.
 *
 * @example
 * ```ts
 * const { rows, rowCount } = await database.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
 * ```
 */
export interface QueryResult<Row> {
  /** The rows returned (empty for statements without `RETURNING`). */
  rows: Row[];
  /** Rows returned or affected. */
  rowCount: number;
}

/**
 * Options of {@link Queryable.query}.
 *
 * @example
 * ```ts
 * await database.query(insertResultsSql, values, { prepare: 'write-results' });
 * ```
 */
export interface QueryOptions {
  /**
   * Prepares the statement once per connection under this name (Postgres; PGlite ignores it), for
   * hot statements; it keeps one plan for any values (`plan_cache_mode=force_generic_plan`). Only for statements whose result columns never change — not `SELECT *` or
   * `RETURNING *`, whose prepared plan a later migration adding a column would break.
   */
  prepare?: string;
}

/**
 * Anything that runs parameterised SQL: the database itself or an open transaction.
 *
 * @example
 * ```ts
 * async function countUsers(queryable: Queryable): Promise<number> {
 *   const { rows } = await queryable.query<{ count: number }>('SELECT count(*)::int AS count FROM users');
 *   return rows[0]?.count ?? 0;
 * }
 * ```
 */
export interface Queryable {
  /**
   * Runs one statement. `text` must be a string literal written in code; every value travels in
   * `values` as a `$n` parameter, never spliced into `text`.
   */
  query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations only). */
  executeScript(text: string): Promise<void>;
}

/**
 * The one database interface of the server, implemented by PGlite (embedded) and a `pg` pool (Postgres).
 *
 * @example
 * ```ts
 * const database = await openDatabase({ dataDirectory: './.llmbatch-data' });
 * await database.transaction(async (transaction) => {
 *   await transaction.query('UPDATE orgs SET name = $1 WHERE id = $2', [name, orgId]);
 * });
 * await database.close();
 * ```
 */
export interface Database extends Queryable {
  /** Which driver is underneath. */
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` inside one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (transaction: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` with the payload of every `NOTIFY` on `channel` (sent by any process on the
   * same database), until the returned function is called. On Postgres this holds one connection of
   * its own; if it breaks, `onError` is told and notifications stop (pollers carry on).
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onError?: (error: Error) => void,
  ): Promise<() => Promise<void>>;
  /** Closes the pool or the embedded instance. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Refuses a statement whose text is not a string before it reaches a driver: PGlite, handed a
 * non-string, breaks every instance in the process.
 *
 * @example
 * ```ts
 * assertStatementText(text); // throws TypeError for 42, undefined, { text }
 * ```
 */
export function assertStatementText(text: unknown): asserts text is string {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new TypeError(
      `SQL text must be a non-empty string, received ${text === null ? 'null' : typeof text}`,
    );
  }
}
