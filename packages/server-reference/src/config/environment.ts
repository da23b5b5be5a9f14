import * as z from 'zod';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const base64Key = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes encoded as base64');

/**
 * Every environment variable the server reads, with its default. Values are validated here, once,
 * at start-up; zod messages never include the received value, so secrets stay out of errors.
 */
export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  LLMBATCH_DATA_DIR: z.string().min(1).default('./.llmbatch-data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres|postgresql):\/\/|^pglite:/, 'must start with postgres://, postgresql:// or pglite:')
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ENCRYPTION_KEY: base64Key.optional(),
  ENCRYPTION_KEYS_OLD: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    )
    .pipe(z.array(base64Key))
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('llmbatch <no-reply@localhost>'),
  PUBLIC_URL: z.url().optional(),
  APP_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(30 * 86_400),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  TRUST_PROXY: booleanString.default(false),
  WORKER_TASKS: z.coerce.number().int().min(1).max(64).default(2),
  WORKER_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  WORKER_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  WORKER_DRAIN_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  WORKER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  JOB_SHARD_SIZE: z.coerce.number().int().min(1).max(10_000_000).default(2500),
  STORAGE_DRIVER: z.enum(['filesystem', 's3']).default('filesystem'),
  STORAGE_DIR: z.string().min(1).optional(),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(1024 ** 3),
  SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(900),
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ENDPOINT: z.url().optional(),
  S3_PUBLIC_ENDPOINT: z.url().optional(),
  S3_FORCE_PATH_STYLE: booleanString.default(false),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
});

/** The environment after validation. */
export type Environment = z.infer<typeof environmentSchema>;

/** Variables production refuses to start without (no generated fallback, ever). */
export const requiredInProduction = ['DATABASE_URL', 'JWT_SECRET', 'ENCRYPTION_KEY', 'SMTP_URL'] as const;

/** Secrets development generates once into the data directory when they are not set. */
export const generatedInDevelopment = ['JWT_SECRET', 'ENCRYPTION_KEY'] as const;
