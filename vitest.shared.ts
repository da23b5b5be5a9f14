import { fileURLToPath } from 'node:url';

const root = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Tests import workspace packages from source, so a test run never depends on a stale build.
 */
export const sourceAliases = {
  '@llmbatch/core/testing': root('./packages/core/src/testing/index.ts'),
  '@llmbatch/core': root('./packages/core/src/index.ts'),
  '@llmbatch/adapters': root('./packages/adapters/src/index.ts'),
};
