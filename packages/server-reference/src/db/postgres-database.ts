import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';
import { assertStatementText } from './database.js';

/** Options for {@link createPostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /** A `postgres://` connection string (`DATABASE_URL`). */
  connectionString: string;
  /** Most connections the pool opens. @default 10 */
  maxConnections?: number;
  /** Schema every connection uses (`search_path`); tests give each file its own. @default the server's default */
  schema?: string;
  /** Called when an idle pooled connection fails (the pool replaces it). */
  onIdleError?: (error: Error) => void;
}

function run(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(
      text: string,
      values: readonly unknown[] = [],
      options: QueryOptions = {},
    ): Promise<QueryResult<Row>> {
      assertStatementText(text);
      // A named statement is parsed and planned once per connection, then only bound and run.
      const result = await client.query(
        options.prepare === undefined
          ? { text, values: [...values] }
          : { name: `llmbatch_${options.prepare}`, text, values: [...values] },
      );
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async executeScript(text: string): Promise<void> {
      assertStatementText(text);
      // Without values, pg uses the simple protocol, which accepts several statements.
      await client.query(text);
    },
  };
}

/**
 * Opens a connection pool to a real Postgres.
 *
 * @example
 * ```ts
 * const database = createPostgresDatabase({ connectionString: process.env.DATABASE_URL ?? '' });
 * ```
 */
export function createPostgresDatabase(options: PostgresDatabaseOptions): Database {
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new TypeError(`schema must be a lower-case identifier, received ${JSON.stringify(options.schema)}`);
  }
  // Statements prepared by name (QueryOptions.prepare: the hot ones) keep one plan made for any
  // values. By default Postgres plans them again for each execution's values whenever that looks
  // cheaper on paper, which for the ledger's batch statement it always does: planning was a quarter
  // of the statement's cost. They look rows up by keys and ids, so a plan for any values is as good.
  const settings = ['-c plan_cache_mode=force_generic_plan'];
  if (options.schema !== undefined) settings.push(`-c search_path=${options.schema}`);
  const connection = { connectionString: options.connectionString, options: settings.join(' ') };
  const pool = new pg.Pool({ ...connection, max: options.maxConnections ?? 10 });
  pool.on('error', (error) => options.onIdleError?.(error));
  const queryable = run(pool);
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    query: queryable.query,
    executeScript: queryable.executeScript,
    async transaction<T>(fn: (transaction: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const value = await fn(run(client));
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify, onError) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new TypeError(`not a channel name: ${channel}`);
      const client = new pg.Client(connection);
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      client.on('error', (error) => onError?.(error));
      await client.connect();
      try {
        await client.query(`LISTEN ${channel}`);
      } catch (error) {
        await client.end();
        throw error;
      }
      let ended: Promise<void> | undefined;
      return () => {
        ended ??= client.end().catch(() => undefined);
        return ended;
      };
    },
    close(): Promise<void> {
      closed ??= pool.end();
      return closed;
    },
  };
}
