import type { Queryable } from './database.js';
import type { TenantTables } from './rows.js';

/** A condition on one column: a value (`=`), `null` (`IS NULL`) or a comparison. */
export type Condition<Value> =
  | Value
  | null
  | { notNull: true }
  | { greaterThan: Value }
  | { lessThan: Value };

/** Conditions on columns of a row, joined with `AND`. */
export type Where<Row> = { [Column in keyof Row]?: Condition<Row[Column]> };

/** Ordering and paging for {@link TenantScope.list}. */
export interface ListOptions<Row> {
  /** Conditions besides the organisation. */
  where?: Where<Row>;
  /** Column to sort by, then by `id` for a stable order. @default 'created_at' */
  orderBy?: keyof Row & string;
  /** Sort direction. @default 'asc' */
  direction?: 'asc' | 'desc';
  /** Most rows returned. @default 100 */
  limit?: number;
  /** Keyset cursor: only rows after this `(orderBy value, id)` pair in the chosen direction. */
  after?: { value: unknown; id: string };
}

/**
 * Queries on tenant-owned tables, every one filtered by the scope's organisation. Routes reach
 * tenant rows only through this, so a forgotten `WHERE org_id` cannot happen.
 *
 * @example
 * ```ts
 * const keys = tenantScope(database, orgId);
 * const key = await keys.findOne('provider_keys', { id: keyId }); // undefined for another org's id
 * ```
 */
export interface TenantScope {
  /** The organisation every query is limited to. */
  readonly orgId: string;
  /** The first row matching `where` in this organisation. */
  findOne<Table extends keyof TenantTables>(
    table: Table,
    where: Where<TenantTables[Table]>,
  ): Promise<TenantTables[Table] | undefined>;
  /** Rows of this organisation, ordered. */
  list<Table extends keyof TenantTables>(
    table: Table,
    options?: ListOptions<TenantTables[Table]>,
  ): Promise<TenantTables[Table][]>;
  /** Inserts a row into this organisation (its `org_id` is set here, never taken from `values`). */
  insert<Table extends keyof TenantTables>(
    table: Table,
    values: Partial<Omit<TenantTables[Table], 'org_id'>>,
  ): Promise<TenantTables[Table]>;
  /** Updates rows of this organisation matching `where`; returns the updated rows. */
  update<Table extends keyof TenantTables>(
    table: Table,
    where: Where<TenantTables[Table]>,
    values: Partial<Omit<TenantTables[Table], 'org_id' | 'id'>>,
  ): Promise<TenantTables[Table][]>;
  /** Deletes rows of this organisation matching `where`; returns how many. */
  remove<Table extends keyof TenantTables>(table: Table, where: Where<TenantTables[Table]>): Promise<number>;
  /** Counts rows of this organisation matching `where`. */
  count<Table extends keyof TenantTables>(table: Table, where?: Where<TenantTables[Table]>): Promise<number>;
}

const tables: ReadonlySet<string> = new Set<keyof TenantTables>([
  'memberships',
  'invitations',
  'api_tokens',
  'provider_keys',
  'audit_events',
]);

function identifier(name: string): string {
  // Column and table names come from code, never from requests; this guards against a future mistake.
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new TypeError(`Not a valid SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function tableName(table: string): string {
  if (!tables.has(table)) throw new TypeError(`Not a tenant table: ${JSON.stringify(table)}`);
  return identifier(table);
}

function isComparison(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !Array.isArray(value);
}

/** Builds `org_id = $1 AND ...` with the values appended to `values`. */
function whereClause(orgId: string, where: Record<string, unknown>, values: unknown[]): string {
  values.push(orgId);
  const parts = [`"org_id" = $${values.length}`];
  for (const [column, condition] of Object.entries(where)) {
    if (condition === undefined) continue;
    const name = identifier(column);
    if (condition === null) {
      parts.push(`${name} IS NULL`);
    } else if (isComparison(condition) && 'notNull' in condition) {
      parts.push(`${name} IS NOT NULL`);
    } else if (isComparison(condition) && 'greaterThan' in condition) {
      values.push(condition.greaterThan);
      parts.push(`${name} > $${values.length}`);
    } else if (isComparison(condition) && 'lessThan' in condition) {
      values.push(condition.lessThan);
      parts.push(`${name} < $${values.length}`);
    } else {
      values.push(condition);
      parts.push(`${name} = $${values.length}`);
    }
  }
  return parts.join(' AND ');
}

function jsonSafe(value: unknown): unknown {
  return isComparison(value) ? JSON.stringify(value) : value;
}

/**
 * Opens a {@link TenantScope} for one organisation on a database or transaction.
 *
 * @example
 * ```ts
 * await database.transaction(async (transaction) => {
 *   const scope = tenantScope(transaction, orgId);
 *   await scope.insert('api_tokens', { name, role, token_hash, token_hint, created_by });
 * });
 * ```
 */
export function tenantScope(queryable: Queryable, orgId: string): TenantScope {
  return {
    orgId,
    async findOne(table, where) {
      const values: unknown[] = [];
      const sql = `SELECT * FROM ${tableName(table)} WHERE ${whereClause(orgId, where, values)} LIMIT 1`;
      const { rows } = await queryable.query<TenantTables[typeof table]>(sql, values);
      return rows[0];
    },
    async list(table, options = {}) {
      const values: unknown[] = [];
      const direction = options.direction === 'desc' ? 'DESC' : 'ASC';
      const order = identifier(options.orderBy ?? 'created_at');
      const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
      let condition = whereClause(orgId, options.where ?? {}, values);
      if (options.after !== undefined) {
        values.push(options.after.value, options.after.id);
        const operator = direction === 'DESC' ? '<' : '>';
        condition += ` AND (${order}, "id") ${operator} ($${values.length - 1}, $${values.length})`;
      }
      const sql = `SELECT * FROM ${tableName(table)} WHERE ${condition} ORDER BY ${order} ${direction}, "id" ${direction} LIMIT ${limit}`;
      const { rows } = await queryable.query<TenantTables[typeof table]>(sql, values);
      return rows;
    },
    async insert(table, values) {
      const entries = Object.entries(values).filter(
        ([column, value]) => column !== 'org_id' && value !== undefined,
      );
      const columns = ['"org_id"', ...entries.map(([column]) => identifier(column))];
      const parameters = [orgId, ...entries.map(([, value]) => jsonSafe(value))];
      const placeholders = parameters.map((_, index) => `$${index + 1}`);
      const sql = `INSERT INTO ${tableName(table)} (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING *`;
      const { rows } = await queryable.query<TenantTables[typeof table]>(sql, parameters);
      const row = rows[0];
      if (row === undefined) throw new Error(`INSERT INTO ${table} returned no row`);
      return row;
    },
    async update(table, where, values) {
      const parameters: unknown[] = [];
      const assignments = Object.entries(values)
        .filter(([column, value]) => column !== 'org_id' && column !== 'id' && value !== undefined)
        .map(([column, value]) => {
          parameters.push(jsonSafe(value));
          return `${identifier(column)} = $${parameters.length}`;
        });
      if (assignments.length === 0) throw new TypeError('update() needs at least one column to set');
      const sql = `UPDATE ${tableName(table)} SET ${assignments.join(', ')} WHERE ${whereClause(orgId, where, parameters)} RETURNING *`;
      const { rows } = await queryable.query<TenantTables[typeof table]>(sql, parameters);
      return rows;
    },
    async remove(table, where) {
      const values: unknown[] = [];
      const sql = `DELETE FROM ${tableName(table)} WHERE ${whereClause(orgId, where, values)}`;
      const { rowCount } = await queryable.query(sql, values);
      return rowCount;
    },
    async count(table, where = {}) {
      const values: unknown[] = [];
      const sql = `SELECT count(*)::int AS count FROM ${tableName(table)} WHERE ${whereClause(orgId, where, values)}`;
      const { rows } = await queryable.query<{ count: number }>(sql, values);
      return rows[0]?.count ?? 0;
    },
  };
}
