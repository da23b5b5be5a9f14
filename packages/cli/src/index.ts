export { runCli } from './cli.js';
export type { LLMBatchConfig } from './config.js';
export { configSchema, defineConfig } from './config.js';
export type { CliIO } from './io.js';
export { processIO } from './io.js';
