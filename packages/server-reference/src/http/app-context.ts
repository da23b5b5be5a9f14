import type { AccessTokens } from '../auth/access-tokens.js';
import type { AttemptLimits } from '../auth/attempt-limiter.js';
import type { PasswordHashingOptions } from '../auth/passwords.js';
import type { ServerConfig } from '../config/load-config.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { Database } from '../db/database.js';
import type { Mailer } from '../mail/mailer.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import type { WallClock } from '../wall-clock.js';

/** Everything route modules need, created once per server and passed in (no module-level state). */
export interface AppContext {
  config: ServerConfig;
  database: Database;
  clock: WallClock;
  mailer: Mailer;
  keyRing: KeyRing;
  accessTokens: AccessTokens;
  passwordHashing: PasswordHashingOptions;
  attemptLimits: AttemptLimits;
  /** Where uploaded files are kept. */
  storage: StorageDriver;
  /** Largest accepted upload, in bytes. */
  maxUploadBytes: number;
}
