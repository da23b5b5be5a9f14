import { access } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { CliError } from './internal/cli-error.js';
import { readText } from './internal/files.js';

/**
 * Settings a config file may hold. Command-line flags override them; built-in defaults fill the rest.
 * Names match the long flags in camelCase (`--max-cost` → `maxCost`).
 */
export const configSchema = z
  .object({
    model: z.string().min(1),
    prompt: z.string().min(1),
    system: z.string().min(1),
    schema: z.string().min(1),
    output: z.string().min(1),
    format: z.enum(['jsonl', 'json', 'csv', 'tsv', 'sqlite']),
    key: z.string().min(1),
    concurrency: z.number().int().positive(),
    rpm: z.number().positive(),
    tpm: z.number().positive(),
    timeout: z.number().positive(),
    retries: z.number().int().nonnegative(),
    maxCost: z.number().positive(),
    maxTokens: z.number().int().positive(),
    temperature: z.number().min(0).max(2),
    baseUrl: z.url(),
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
    unordered: z.boolean(),
    confirmAbove: z.number().nonnegative(),
    failOnUnitError: z.boolean(),
  })
  .partial()
  .strict();

/** The contents of `llmbatch.config.json` or the default export of `llmbatch.config.ts`. */
export type LLMBatchConfig = z.infer<typeof configSchema>;

/**
 * Types a `llmbatch.config.ts` file.
 *
 * @example
 * ```ts
 * // llmbatch.config.ts
 * import { defineConfig } from 'llmbatch';
 * export default defineConfig({ model: 'openai:gpt-4o-mini', concurrency: 32, maxCost: 5 });
 * ```
 */
export function defineConfig(config: LLMBatchConfig): LLMBatchConfig {
  return config;
}

const defaultNames = [
  'llmbatch.config.json',
  'llmbatch.config.ts',
  'llmbatch.config.mjs',
  'llmbatch.config.js',
];

/** Finds and validates the config file: `explicit` if given, else the first default name in `cwd`. */
export async function loadConfig(
  cwd: string,
  explicit?: string,
): Promise<{ path?: string; config: LLMBatchConfig }> {
  let path: string | undefined;
  if (explicit !== undefined) {
    path = isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
    if (!(await exists(path))) throw new CliError(`config file not found: ${explicit}`);
  } else {
    for (const name of defaultNames) {
      const candidate = resolve(cwd, name);
      if (await exists(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (path === undefined) return { config: {} };
  let raw: unknown;
  try {
    if (path.endsWith('.json')) raw = JSON.parse(await readText(path));
    else {
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
      raw = module.default;
    }
  } catch (error) {
    throw new CliError(
      `cannot read config file ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new CliError(`invalid config file ${path}: ${problems.join('; ')}`);
  }
  return { path, config: parsed.data };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
