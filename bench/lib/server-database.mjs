// A fresh Postgres database per benchmark run, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const { Client } = pg;

/** Where the local test Postgres answers (trust auth), as in the server's test suite. */
export const defaultAdminUrl = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Creates an empty database `bench_server_<random>` on the server of `adminUrl` and returns its URL
 * and a `drop()` that removes it (ending any connection still open to it).
 *
 * @example
 * const database = await createBenchDatabase('postgres://postgres@127.0.0.1:5432/test');
 * // DATABASE_URL=database.url ...
 * await database.drop();
 */
export async function createBenchDatabase(adminUrl = defaultAdminUrl) {
  const name = `bench_server_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * Whether a Postgres answers at `adminUrl`.
 *
 * @example
 * if (!(await postgresAnswers(defaultAdminUrl))) console.error('no Postgres: skipping those configurations');
 */
export async function postgresAnswers(adminUrl = defaultAdminUrl) {
  try {
    await withClient(adminUrl, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Postgres's own version string, for the report.
 *
 * @example
 * await postgresVersion(defaultAdminUrl); // 'PostgreSQL 15.20 …'
 */
export async function postgresVersion(adminUrl = defaultAdminUrl) {
  const result = await withClient(adminUrl, (client) => client.query('SELECT version() AS version'));
  return String(result.rows[0]?.version ?? 'unknown');
}

/**
 * Process ids of the Postgres backends connected to database `name` (this machine's Postgres only
 * makes them readable in /proc), to add their CPU time to a run's.
 *
 * @example
 * const pids = await backendPids(defaultAdminUrl, database.name);
 */
export async function backendPids(adminUrl, name) {
  const result = await withClient(adminUrl, (client) =>
    client.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]),
  );
  return result.rows.map((row) => Number(row.pid));
}

async function withClient(url, fn) {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
