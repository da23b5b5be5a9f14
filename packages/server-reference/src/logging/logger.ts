import { type DestinationStream, type Logger, pino } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default 'info' (env `LOG_LEVEL`) */
  level?: string;
  /** Where JSON lines go. @default standard output */
  destination?: DestinationStream;
}

/**
 * Paths whose values are replaced by `[redacted]` on every line, wherever a careless log call
 * puts them: credentials in headers, and secrets in any object one or two levels deep.
 */
export const redactedPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'res.headers["set-cookie"]',
  ...[
    'password',
    'newPassword',
    'currentPassword',
    'apiKey',
    'token',
    'accessToken',
    'refreshToken',
    'secret',
    'authorization',
    'ciphertext',
    'encryptionKey',
    'jwtSecret',
  ].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/**
 * The server's structured JSON logger (pino) with secrets redacted.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'debug' });
 * logger.info({ userId }, 'user signed up');
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'llmbatch-server' },
      redact: { paths: [...redactedPaths], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        err: pino.stdSerializers.err,
        // Only the path: a query string may carry something the caller did not mean to log.
        req: (request: { method?: string; url?: string; ip?: string }) => ({
          method: request.method,
          path: request.url?.split('?')[0],
          ip: request.ip,
        }),
        res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
