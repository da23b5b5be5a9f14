import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // Browsers and edge runtimes as well as Node: nothing Node-specific is bundled or required up front.
  target: 'es2022',
  platform: 'neutral',
  tsconfig: 'tsconfig.build.json',
});
