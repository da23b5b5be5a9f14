import type { StorageDriver } from '../../src/storage/storage-driver.js';
import type { DatabaseKind } from './databases.js';
import { startTestServer, type TestServer } from './test-server.js';

/**
 * `startTestServer` with the storage the test names (or the one its `environment` configures) and a
 * clock that follows real time: S3 presigned URLs are checked by the store against its own clock.
 */
export function startStorageTestServer(
  kind: DatabaseKind,
  options: { storage?: StorageDriver; environment?: Record<string, string> } = {},
): Promise<TestServer> {
  return startTestServer(kind, { ...options, realClock: true });
}
