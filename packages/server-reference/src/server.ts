import type { Logger } from 'pino';
import { adminRoutes } from './admin/admin-routes.js';
import { apiTokenRoutes } from './api-tokens/api-token-routes.js';
import { auditRoutes } from './audit/audit-routes.js';
import { createAccessTokens } from './auth/access-tokens.js';
import { type AttemptLimits, defaultAttemptLimits } from './auth/attempt-limiter.js';
import { authRoutes } from './auth/auth-routes.js';
import { meRoutes } from './auth/me-routes.js';
import { passwordResetRoutes } from './auth/password-reset-routes.js';
import type { PasswordHashingOptions } from './auth/passwords.js';
import type { ServerConfig } from './config/load-config.js';
import { createKeyRing } from './crypto/key-ring.js';
import type { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open-database.js';
import { fileRoutes } from './files/file-routes.js';
import type { AppContext } from './http/app-context.js';
import { type ApiApp, createApp, type RouteModule, type RouteSummary } from './http/create-app.js';
import { healthRoutes } from './http/health-routes.js';
import { jobEstimateRoutes } from './jobs/job-estimate-routes.js';
import { jobEventRoutes } from './jobs/job-events.js';
import { jobRoutes } from './jobs/job-routes.js';
import { createLogger } from './logging/logger.js';
import { createOutboxMailer, createSmtpMailer, type Mailer } from './mail/mailer.js';
import { outboxRoutes } from './mail/outbox-routes.js';
import { invitationRoutes } from './orgs/invitation-routes.js';
import { memberRoutes } from './orgs/member-routes.js';
import { orgRoutes } from './orgs/org-routes.js';
import { providerKeyRoutes } from './provider-keys/provider-key-routes.js';
import { createStorage } from './storage/create-storage.js';
import type { StorageDriver } from './storage/storage-driver.js';
import { usageRoutes } from './usage/usage-routes.js';
import { systemWallClock, type WallClock } from './wall-clock.js';
import { createWorker, type Worker, type WorkerOptions } from './worker/create-worker.js';

/**
 * The route modules of the API, in registration order (and OpenAPI order).
 *
 * @example
 * ```ts
 * const { app } = createApp({ context, logger, routes: defaultRouteModules });
 * ```
 */
export const defaultRouteModules: readonly RouteModule[] = [
  healthRoutes,
  authRoutes,
  passwordResetRoutes,
  meRoutes,
  orgRoutes,
  memberRoutes,
  invitationRoutes,
  apiTokenRoutes,
  providerKeyRoutes,
  fileRoutes,
  jobEstimateRoutes,
  jobRoutes,
  jobEventRoutes,
  usageRoutes,
  auditRoutes,
  adminRoutes,
  outboxRoutes,
];

/** Options for {@link createServer}. Everything that touches the outside world can be injected. */
export interface ServerOptions {
  /** Validated configuration, from {@link loadConfig}. */
  config: ServerConfig;
  /** The database. @default opened from `config.database` (and closed by `stop()`) */
  database?: Database;
  /** Wall clock for expiries. @default the system clock */
  clock?: WallClock;
  /** Mail delivery. @default SMTP when `config.smtpUrl` is set, else the development outbox (and closed by `stop()`) */
  mailer?: Mailer;
  /** pino logger. @default JSON lines on standard output at `config.logLevel` */
  logger?: Logger;
  /** scrypt cost for new password hashes. @default `{ cost: 32768 }` */
  passwordHashing?: PasswordHashingOptions;
  /** Brute-force limits. @default {@link defaultAttemptLimits} */
  attemptLimits?: Partial<AttemptLimits>;
  /** Apply pending migrations in `ready()`. @default true */
  migrateOnStart?: boolean;
  /** Extra route modules registered after the built-in ones; each route must declare `config.access`. */
  extraRoutes?: readonly RouteModule[];
  /** Where uploaded files are kept. @default {@link createStorage}(config): `STORAGE_DRIVER`, filesystem under `<config.dataDirectory>/files` */
  storage?: StorageDriver;
  /** Largest accepted upload, in bytes. @default `config.storage.maxUploadBytes` (`MAX_UPLOAD_BYTES`, 1 GiB) */
  maxUploadBytes?: number;
  /**
   * Runs a job worker in this process too (the `all` mode), started by `ready()` and stopped by
   * `stop()` before the database closes. @default no worker (the API only)
   */
  worker?: ServerWorkerOptions;
}

/** Settings of the worker embedded by {@link createServer}; the rest comes from the server. */
export type ServerWorkerOptions = Omit<
  WorkerOptions,
  'database' | 'storage' | 'keyRing' | 'logger' | 'clock'
>;

/**
 * A running (or ready-to-run) llmbatch API server.
 *
 * @example
 * ```ts
 * await using server = await createServer({ config: await loadConfig(process.env) });
 * const url = await server.start();
 * ```
 */
export interface LlmbatchServer {
  /** The Fastify application (for `inject` in tests). */
  readonly app: ApiApp;
  /** The shared dependencies of the routes. */
  readonly context: AppContext;
  /** The embedded job worker, when `worker` was given. */
  readonly worker: Worker | undefined;
  /** Every registered route with its access rule. */
  readonly routes: readonly RouteSummary[];
  /** Applies migrations, loads every route and starts the embedded worker (if any), without listening. Idempotent. */
  ready(): Promise<void>;
  /** `ready()`, then listens on `config.host:config.port`; returns the URL. Idempotent. */
  start(): Promise<string>;
  /**
   * Stops accepting connections, lets in-flight requests finish within `config.shutdownTimeoutMs`
   * (then cuts the rest), and closes what the server opened. Idempotent; `drained` is false when
   * requests had to be cut.
   */
  stop(): Promise<{ drained: boolean }>;
  /** Same as `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates the server: opens the database (unless given), builds the application and its
 * dependencies. Nothing is global; two servers in one process do not share state.
 *
 * @example
 * ```ts
 * const config = await loadConfig(process.env);
 * const server = await createServer({ config });
 * await server.start();
 * process.once('SIGTERM', () => void server.stop());
 * ```
 */
export async function createServer(options: ServerOptions): Promise<LlmbatchServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemWallClock;
  const ownsDatabase = options.database === undefined;
  const database =
    options.database ??
    (await openDatabase(config.database, {
      onIdleError: (error) => logger.error({ err: error }, 'idle database connection failed'),
    }));
  const ownsMailer = options.mailer === undefined;
  const mailer =
    options.mailer ??
    (config.smtpUrl === undefined
      ? createOutboxMailer(database)
      : createSmtpMailer({ url: config.smtpUrl, from: config.mailFrom }));
  const context: AppContext = {
    config,
    database,
    clock,
    mailer,
    keyRing: createKeyRing(config.encryptionKey, config.oldEncryptionKeys),
    accessTokens: createAccessTokens({
      secret: config.jwtSecret,
      ttlSeconds: config.accessTokenTtlSeconds,
      clock,
    }),
    passwordHashing: options.passwordHashing ?? {},
    attemptLimits: { ...defaultAttemptLimits, ...options.attemptLimits },
    storage: options.storage ?? createStorage(config),
    maxUploadBytes: options.maxUploadBytes ?? config.storage?.maxUploadBytes ?? 1024 * 1024 * 1024,
  };
  const worker: Worker | undefined =
    options.worker === undefined
      ? undefined
      : createWorker({
          ...options.worker,
          database,
          storage: context.storage,
          keyRing: context.keyRing,
          logger,
          clock,
        });
  const { app, routes } = createApp({
    context,
    logger,
    routes: [...defaultRouteModules, ...(options.extraRoutes ?? [])],
  });

  let readying: Promise<void> | undefined;
  let starting: Promise<string> | undefined;
  let stopping: Promise<{ drained: boolean }> | undefined;

  const ready = (): Promise<void> => {
    readying ??= (async () => {
      if (options.migrateOnStart !== false) {
        const { applied, current } = await migrate(database);
        if (applied.length > 0) logger.info({ applied, current }, 'database migrated');
      }
      await app.ready();
      worker?.start();
    })();
    return readying;
  };

  const stop = (): Promise<{ drained: boolean }> => {
    stopping ??= (async () => {
      let drained = true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs);
      });
      const closed = app.close().then(() => 'closed' as const);
      // A keep-alive connection whose last request finishes during the drain would otherwise stay
      // open until its idle timeout; close each one as soon as it falls idle.
      const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
      const outcome = await Promise.race([closed, deadline]);
      clearInterval(sweeper);
      if (outcome === 'timeout') {
        drained = false;
        logger.warn(
          { timeoutMs: config.shutdownTimeoutMs },
          'shutdown deadline passed; closing open connections',
        );
        app.server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
      await worker?.stop();
      if (ownsMailer) await mailer.close();
      if (ownsDatabase) await database.close();
      logger.info({ drained }, 'server stopped');
      return { drained };
    })();
    return stopping;
  };

  return {
    app,
    context,
    worker,
    routes,
    ready,
    start() {
      starting ??= (async () => {
        await ready();
        const url = await app.listen({ host: config.host, port: config.port });
        logger.info({ url, database: database.kind, mailer: mailer.kind }, 'llmbatch server listening');
        return url;
      })();
      return starting;
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
