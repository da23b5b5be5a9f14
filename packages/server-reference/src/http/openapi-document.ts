import pino from 'pino';
import { createAccessTokens } from '../auth/access-tokens.js';
import { defaultAttemptLimits } from '../auth/attempt-limiter.js';
import type { ServerConfig } from '../config/load-config.js';
import { createKeyRing } from '../crypto/key-ring.js';
import type { Database } from '../db/database.js';
import type { Mailer } from '../mail/mailer.js';
import { systemWallClock } from '../wall-clock.js';
import type { AppContext } from './app-context.js';
import { createApp, type RouteModule } from './create-app.js';

const unavailable = (): never => {
  throw new Error('Generating the OpenAPI document does not touch the database or send mail');
};

/**
 * Builds the OpenAPI 3.1 document of the API from the routes' zod schemas, without a database,
 * mail or network. `pnpm --filter @llmbatch/server run openapi` writes it to `openapi.json`.
 *
 * @example
 * ```ts
 * const document = await generateOpenApiDocument(defaultRouteModules);
 * console.log(Object.keys(document.paths));
 * ```
 */
export async function generateOpenApiDocument(
  routes: readonly RouteModule[],
): Promise<Record<string, unknown>> {
  const config: ServerConfig = {
    environment: 'production',
    host: '127.0.0.1',
    port: 0,
    dataDirectory: '/nonexistent',
    database: { kind: 'postgres', url: 'postgres://unused', maxConnections: 1 },
    jwtSecret: 'x'.repeat(32),
    encryptionKey: Buffer.alloc(32).toString('base64'),
    oldEncryptionKeys: [],
    smtpUrl: 'smtp://unused',
    mailFrom: 'unused@example.com',
    publicUrl: 'http://localhost',
    appUrl: 'http://localhost',
    logLevel: 'silent',
    accessTokenTtlSeconds: 900,
    refreshTokenTtlSeconds: 86_400,
    shutdownTimeoutMs: 0,
    trustProxy: false,
    worker: { maxTasks: 1, pollIntervalMs: 1000, leaseMs: 30_000, drainMs: 0, maxAttempts: 1, shardSize: 1 },
  };
  const database: Database = {
    kind: 'postgres',
    query: unavailable,
    executeScript: unavailable,
    transaction: unavailable,
    listen: unavailable,
    close: async () => {},
  };
  const mailer: Mailer = { kind: 'custom', send: unavailable, close: async () => {} };
  const context: AppContext = {
    config,
    database,
    clock: systemWallClock,
    mailer,
    keyRing: createKeyRing(config.encryptionKey),
    accessTokens: createAccessTokens({ secret: config.jwtSecret, ttlSeconds: 900, clock: systemWallClock }),
    passwordHashing: {},
    attemptLimits: defaultAttemptLimits,
    storage: {
      kind: 'custom',
      write: unavailable,
      read: unavailable,
      remove: unavailable,
      exists: unavailable,
    },
    maxUploadBytes: 0,
  };
  const { app } = createApp({ context, logger: pino({ level: 'silent' }), routes });
  await app.ready();
  const document = app.swagger() as unknown as Record<string, unknown>;
  await app.close();
  return document;
}
