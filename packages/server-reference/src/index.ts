export type { AuditActor, AuditEntry } from './audit/audit-log.js';
export { recordAudit } from './audit/audit-log.js';
export type { AccessTokens } from './auth/access-tokens.js';
export { createAccessTokens } from './auth/access-tokens.js';
export type { AttemptLimit, AttemptLimits } from './auth/attempt-limiter.js';
export { defaultAttemptLimits } from './auth/attempt-limiter.js';
export type { PasswordHashingOptions } from './auth/passwords.js';
export { hashPassword, verifyPassword } from './auth/passwords.js';
export type { OrgContext, Principal, RouteAccess } from './auth/principal.js';
export { main } from './cli/main.js';
export type { RunApiOptions } from './cli/run-api.js';
export { runApi } from './cli/run-api.js';
export type { RunWorkerOptions } from './cli/run-worker.js';
export { runWorker } from './cli/run-worker.js';
export { ConfigError } from './config/config-error.js';
export type { LoadConfigOptions, ServerConfig } from './config/load-config.js';
export { loadConfig } from './config/load-config.js';
export type { StorageConfig, StorageCredentials, StorageDriverConfig } from './config/storage-config.js';
export type { EncryptionKey, KeyRing } from './crypto/key-ring.js';
export { createKeyRing, keyIdOf } from './crypto/key-ring.js';
export type { SealedSecret } from './crypto/secret-box.js';
export { open, seal } from './crypto/secret-box.js';
export type { Database, Queryable, QueryResult } from './db/database.js';
export type { MigrateResult, Migration } from './db/migrate.js';
export { loadMigrations, migrate, migrationStatus } from './db/migrate.js';
export { openDatabase } from './db/open-database.js';
export type { PgliteDatabase, PgliteDatabaseOptions } from './db/pglite-database.js';
export { createPgliteDatabase } from './db/pglite-database.js';
export type { PostgresDatabaseOptions } from './db/postgres-database.js';
export { createPostgresDatabase } from './db/postgres-database.js';
export type { Role, TenantTables } from './db/rows.js';
export type { Condition, ListOptions, TenantScope, Where } from './db/tenant-scope.js';
export { tenantScope } from './db/tenant-scope.js';
export type { FileFormat } from './files/file-format.js';
export type { ApiErrorCode, ApiErrorOptions } from './http/api-error.js';
export { ApiError, apiErrorStatus } from './http/api-error.js';
export type { AppContext } from './http/app-context.js';
export type { ApiApp, CreateAppOptions, RouteModule, RouteSummary } from './http/create-app.js';
export { apiVersion, createApp } from './http/create-app.js';
export type { JobStatus } from './jobs/job-status.js';
export { allowedTransitions, canTransition, jobStatuses } from './jobs/job-status.js';
export type { LoggerOptions } from './logging/logger.js';
export { createLogger } from './logging/logger.js';
export type { Mailer, MailMessage, OutboxMail, SmtpMailerOptions } from './mail/mailer.js';
export { createOutboxMailer, createSmtpMailer, readOutbox } from './mail/mailer.js';
export type { Permission } from './orgs/permissions.js';
export { allows, permissionMinimumRole } from './orgs/permissions.js';
export type { NewProviderKey, ProviderName, RotateKeysResult } from './provider-keys/provider-key-store.js';
export {
  keyHint,
  readProviderKey,
  rotateProviderKeys,
  storeProviderKey,
} from './provider-keys/provider-key-store.js';
export type { LlmbatchServer, ServerOptions, ServerWorkerOptions } from './server.js';
export { createServer, defaultRouteModules } from './server.js';
export { createStorage } from './storage/create-storage.js';
export type { FilesystemStorageOptions } from './storage/filesystem-storage.js';
export { createFilesystemStorage } from './storage/filesystem-storage.js';
export type { S3Credentials, S3StorageOptions } from './storage/s3-storage.js';
export { createS3Storage } from './storage/s3-storage.js';
export type {
  ObjectKey,
  PresignDownloadOptions,
  PresignedRequest,
  PresignedUrls,
  PresignUploadOptions,
  StorageDriver,
  StorageErrorCode,
  StoredObject,
  WriteOptions,
} from './storage/storage-driver.js';
export { objectKeyFor, StorageError, uploadKeyFor } from './storage/storage-driver.js';
export type { WallClock } from './wall-clock.js';
export { systemWallClock } from './wall-clock.js';
export type { Worker, WorkerOptions } from './worker/create-worker.js';
export { createWorker } from './worker/create-worker.js';
