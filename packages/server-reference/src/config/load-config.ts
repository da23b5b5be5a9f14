import { resolve } from 'node:path';
import type * as z from 'zod';
import { ConfigError } from './config-error.js';
import { ensureDevelopmentSecrets } from './development-secrets.js';
import {
  type Environment,
  environmentSchema,
  generatedInDevelopment,
  requiredInProduction,
} from './environment.js';
import { type StorageConfig, storageConfigFrom } from './storage-config.js';

/**
 * The server's configuration: the environment validated, defaults applied, secrets present.
 *
 * @example
 * ```ts
 * const config = await loadConfig(process.env);
 * console.log(config.port, config.database.kind);
 * ```
 */
export interface ServerConfig {
  /** `NODE_ENV`. Production refuses missing secrets and hides development routes. */
  environment: Environment['NODE_ENV'];
  /** Interface to listen on (`HOST`). */
  host: string;
  /** Port to listen on (`PORT`; 0 picks a free one). */
  port: number;
  /** Absolute path of the data directory (`LLMBATCH_DATA_DIR`). */
  dataDirectory: string;
  /** Which database: embedded PGlite in the data directory, or a Postgres URL (`DATABASE_URL`). */
  database:
    | { kind: 'pglite'; dataDirectory: string }
    | { kind: 'postgres'; url: string; maxConnections: number };
  /** HMAC secret for access tokens (`JWT_SECRET`). */
  jwtSecret: string;
  /** Current encryption key, base64 (`ENCRYPTION_KEY`). */
  encryptionKey: string;
  /** Older keys still accepted for decryption (`ENCRYPTION_KEYS_OLD`). */
  oldEncryptionKeys: string[];
  /** SMTP server for mail (`SMTP_URL`); unset outside production means the development outbox. */
  smtpUrl: string | undefined;
  /** Sender of every mail (`MAIL_FROM`). */
  mailFrom: string;
  /** Where users reach this API (`PUBLIC_URL`). */
  publicUrl: string;
  /** Base of links in mails (`APP_URL`, defaults to `PUBLIC_URL`). */
  appUrl: string;
  /** Log level (`LOG_LEVEL`). */
  logLevel: Environment['LOG_LEVEL'];
  /** Access token lifetime in seconds (`ACCESS_TOKEN_TTL_SECONDS`). */
  accessTokenTtlSeconds: number;
  /** Refresh token lifetime in seconds (`REFRESH_TOKEN_TTL_SECONDS`). */
  refreshTokenTtlSeconds: number;
  /** How long shutdown waits for in-flight requests (`SHUTDOWN_TIMEOUT_MS`). */
  shutdownTimeoutMs: number;
  /** Trust `X-Forwarded-*` from a proxy in front (`TRUST_PROXY`). */
  trustProxy: boolean;
  /** Job workers: tasks at once (`WORKER_TASKS`), milliseconds between polls and heartbeats
   * (`WORKER_POLL_MS`), lease (`WORKER_LEASE_MS`), drain time on shutdown (`WORKER_DRAIN_MS`), claims
   * of a task before its job fails (`WORKER_MAX_ATTEMPTS`) and units per shard (`JOB_SHARD_SIZE`). */
  worker: {
    maxTasks: number;
    pollIntervalMs: number;
    leaseMs: number;
    drainMs: number;
    maxAttempts: number;
    shardSize: number;
  };
  /**
   * File storage: driver, upload limit, signed-URL lifetime (`STORAGE_DRIVER`, `S3_*`,
   * `MAX_UPLOAD_BYTES`, `SIGNED_URL_TTL_SECONDS`). Always set by {@link loadConfig}.
   * @default the filesystem under `<dataDirectory>/files`, 1 GiB uploads, 900 s URLs
   */
  storage?: StorageConfig;
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Told, once, where generated development secrets were stored (the path only, never a value). */
  onSecretsGenerated?: (information: { path: string; names: readonly string[] }) => void;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

/**
 * Reads and validates the configuration from environment variables.
 *
 * In production, every missing required variable is reported at once in a {@link ConfigError}.
 * Elsewhere, missing secrets are generated once and kept in `<data dir>/secrets.json` (mode 0600).
 *
 * @example
 * ```ts
 * const config = await loadConfig({ NODE_ENV: 'development', LLMBATCH_DATA_DIR: '/tmp/llmbatch' });
 * ```
 */
export async function loadConfig(
  environment: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): Promise<ServerConfig> {
  // An empty variable counts as unset, as in most deploy tools.
  const cleaned = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const invalid = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
    throw new ConfigError({
      message: `Invalid configuration:\n  ${describeIssues(parsed.error).join('\n  ')}`,
      invalid,
    });
  }
  const env = parsed.data;
  const dataDirectory = resolve(env.LLMBATCH_DATA_DIR);
  // Checked before any secret is generated: a bad storage setting changes nothing on disk.
  const storage = storageConfigFrom(env, dataDirectory);
  let jwtSecret = env.JWT_SECRET;
  let encryptionKey = env.ENCRYPTION_KEY;

  if (env.NODE_ENV === 'production') {
    const missing = requiredInProduction.filter((name) => env[name] === undefined);
    if (missing.length > 0) {
      throw new ConfigError({
        message: `Missing required configuration in production: ${missing.join(', ')}. Set ${missing.length === 1 ? 'it' : 'them'} in the environment; see docs/server.md.`,
        missing,
      });
    }
  } else if (jwtSecret === undefined || encryptionKey === undefined) {
    const generated = await ensureDevelopmentSecrets(dataDirectory);
    const names = generatedInDevelopment.filter((name) => env[name] === undefined);
    jwtSecret ??= generated.secrets.JWT_SECRET;
    encryptionKey ??= generated.secrets.ENCRYPTION_KEY;
    if (generated.created) options.onSecretsGenerated?.({ path: generated.path, names });
  }
  if (jwtSecret === undefined || encryptionKey === undefined) {
    throw new ConfigError({ message: 'Secrets are missing', missing: ['JWT_SECRET', 'ENCRYPTION_KEY'] });
  }

  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  const databaseUrl = env.DATABASE_URL;
  return {
    environment: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    dataDirectory,
    database:
      databaseUrl === undefined || databaseUrl.startsWith('pglite:')
        ? { kind: 'pglite', dataDirectory: resolve(dataDirectory, 'pglite') }
        : { kind: 'postgres', url: databaseUrl, maxConnections: env.DATABASE_POOL_MAX },
    jwtSecret,
    encryptionKey,
    oldEncryptionKeys: env.ENCRYPTION_KEYS_OLD ?? [],
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    publicUrl,
    appUrl: (env.APP_URL ?? publicUrl).replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL,
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    trustProxy: env.TRUST_PROXY,
    worker: {
      maxTasks: env.WORKER_TASKS,
      pollIntervalMs: env.WORKER_POLL_MS,
      leaseMs: env.WORKER_LEASE_MS,
      drainMs: env.WORKER_DRAIN_MS,
      maxAttempts: env.WORKER_MAX_ATTEMPTS,
      shardSize: env.JOB_SHARD_SIZE,
    },
    storage,
  };
}
