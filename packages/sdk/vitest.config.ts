import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: {
    alias: {
      ...sourceAliases,
      // The end-to-end test runs the server from source, like the other workspace packages.
      '@llmbatch/server': fileURLToPath(new URL('../server-reference/src/index.ts', import.meta.url)),
    },
  },
  test: {
    name: 'sdk',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
