import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';
import { loadConfig, type ServerConfig } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import { createLogger } from '../logging/logger.js';

// Commands import what they need when they run, so a configuration error is reported without
// loading the web server and the database engine first.

const usage = `Usage: llmbatch-server <command>

Commands:
  api                          Run the HTTP API (the default with DATABASE_URL)
  worker                       Run a job worker (no HTTP API); any number may share a database
  all                          Run the API and a worker in one process (the default on the embedded database)
  migrate                      Apply pending database migrations, then exit
  rotate-keys                  Re-encrypt stored provider keys with the current ENCRYPTION_KEY
  outbox [--limit N]           Print the development mail outbox (newest first)
  superadmin grant <email>     Make a user a platform administrator
  superadmin revoke <email>    Take the platform administrator flag away
  help                         Show this text

Configuration comes from environment variables; see docs/server.md.`;

async function withDatabase<T>(
  config: ServerConfig,
  logger: Logger,
  fn: (database: Database) => Promise<T>,
): Promise<T> {
  const { openDatabase } = await import('../db/open-database.js');
  const { migrate } = await import('../db/migrate.js');
  const database = await openDatabase(config.database);
  try {
    const { applied, current } = await migrate(database);
    logger.info({ applied, current }, applied.length > 0 ? 'database migrated' : 'database is up to date');
    return await fn(database);
  } catch (error) {
    logger.error({ err: error }, 'command failed');
    throw error;
  } finally {
    await database.close();
  }
}

/**
 * The `llmbatch-server` command line. Resolves with the process exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2), process.env);
 * ```
 */
export async function main(
  argv: readonly string[],
  environment: Record<string, string | undefined>,
): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (command === 'help' || values.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const logger = createLogger({ level: environment.LOG_LEVEL ?? 'info' });
  let config: ServerConfig;
  try {
    config = await loadConfig(environment, {
      onSecretsGenerated: ({ path, names }) =>
        logger.warn({ path, names }, 'generated development secrets; they are kept in this file (mode 0600)'),
    });
  } catch (error) {
    if (!ConfigError.isInstance(error)) throw error;
    process.stderr.write(`llmbatch-server: ${error.message}\n`);
    return 1;
  }
  logger.level = config.logLevel;

  // The embedded database belongs to one process, so its default runs the worker alongside the API.
  switch (command ?? (config.database.kind === 'pglite' ? 'all' : 'api')) {
    case 'api': {
      const { runApi } = await import('./run-api.js');
      return runApi({ config, logger });
    }
    case 'all': {
      const { runApi } = await import('./run-api.js');
      return runApi({ config, logger, worker: config.worker });
    }
    case 'worker': {
      const { runWorker } = await import('./run-worker.js');
      return runWorker({ config, logger });
    }
    case 'migrate':
      return withDatabase(config, logger, async () => 0);
    case 'rotate-keys':
      return withDatabase(config, logger, async (database) => {
        const { createKeyRing } = await import('../crypto/key-ring.js');
        const { rotateProviderKeys } = await import('../provider-keys/provider-key-store.js');
        const keyRing = createKeyRing(config.encryptionKey, config.oldEncryptionKeys);
        const result = await rotateProviderKeys(database, keyRing);
        logger.info(
          {
            rotated: result.rotated,
            alreadyCurrent: result.current,
            failed: result.failed.length,
            keyId: keyRing.current.id,
          },
          'provider keys rotated',
        );
        for (const failure of result.failed) logger.error(failure, 'provider key could not be re-encrypted');
        return result.failed.length === 0 ? 0 : 1;
      });
    case 'outbox':
      return withDatabase(config, logger, async (database) => {
        const { readOutbox } = await import('../mail/mailer.js');
        const limit = Number(values.limit ?? '20');
        for (const mail of (
          await readOutbox(database, Number.isInteger(limit) && limit > 0 ? limit : 20)
        ).reverse()) {
          process.stdout.write(
            `--- ${mail.createdAt.toISOString()}\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n\n`,
          );
        }
        return 0;
      });
    case 'superadmin': {
      const [, action, email] = positionals;
      if ((action !== 'grant' && action !== 'revoke') || email === undefined) {
        process.stderr.write(`${usage}\n`);
        return 2;
      }
      return withDatabase(config, logger, async (database) => {
        const { setSuperadmin } = await import('./superadmin.js');
        const found = await setSuperadmin(database, email, action === 'grant');
        if (!found) process.stderr.write(`llmbatch-server: no user with the address ${email}\n`);
        return found ? 0 : 1;
      });
    }
    default:
      process.stderr.write(`llmbatch-server: unknown command "${command}"\n\n${usage}\n`);
      return 2;
  }
}
