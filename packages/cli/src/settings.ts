import { resolve } from 'node:path';
import type { LLMBatchConfig } from './config.js';
import { CliError } from './internal/cli-error.js';
import { pathExists, readText } from './internal/files.js';

/** Everything a run needs, after config file, flags and defaults are merged (flags win). */
export interface RunSettings {
  input: string;
  output: string;
  format: LLMBatchConfig['format'] | undefined;
  model: string;
  prompt: string;
  system: string | undefined;
  schema: Record<string, unknown> | undefined;
  key: string | undefined;
  concurrency: number;
  rpm: number | undefined;
  tpm: number | undefined;
  timeoutSeconds: number;
  retries: number;
  maxCost: number | undefined;
  maxTokens: number | undefined;
  temperature: number | undefined;
  baseUrl: string | undefined;
  apiKeyEnv: string | undefined;
  ordered: boolean;
  confirmAbove: number;
  failOnUnitError: boolean;
}

/** Built-in defaults: the lowest layer of precedence. */
export const defaults = {
  concurrency: 16,
  timeout: 60,
  retries: 4,
  confirmAbove: 1,
} as const;

/**
 * Merges settings: built-in defaults < config file < command-line flags. `flags` holds only the flags
 * the user actually typed.
 */
export async function mergeSettings(
  cwd: string,
  input: string,
  config: LLMBatchConfig,
  flags: LLMBatchConfig,
): Promise<RunSettings> {
  const merged: LLMBatchConfig = { ...config, ...flags };
  const model = required(merged.model, '--model', 'e.g. --model openai:gpt-4o-mini');
  const output = required(merged.output, '--output', 'e.g. -o results.jsonl');
  const promptValue = required(merged.prompt, '--prompt', 'a prompt file or the prompt text itself');
  return {
    input: input === '-' || /^[a-z][a-z0-9+.-]*:/i.test(input) ? input : resolve(cwd, input),
    output,
    format: merged.format,
    model,
    prompt: await readTextOption(cwd, promptValue, 'prompt'),
    system:
      merged.system === undefined ? undefined : await readTextOption(cwd, merged.system, 'system prompt'),
    schema: merged.schema === undefined ? undefined : await readSchema(cwd, merged.schema),
    key: merged.key,
    concurrency: merged.concurrency ?? defaults.concurrency,
    rpm: merged.rpm,
    tpm: merged.tpm,
    timeoutSeconds: merged.timeout ?? defaults.timeout,
    retries: merged.retries ?? defaults.retries,
    maxCost: merged.maxCost,
    maxTokens: merged.maxTokens,
    temperature: merged.temperature,
    baseUrl: merged.baseUrl,
    apiKeyEnv: merged.apiKeyEnv,
    ordered: !(merged.unordered ?? false),
    confirmAbove: merged.confirmAbove ?? defaults.confirmAbove,
    failOnUnitError: merged.failOnUnitError ?? false,
  };
}

function required<T>(value: T | undefined, flag: string, hint: string): T {
  if (value === undefined) throw new CliError(`missing ${flag} (${hint}), in flags or llmbatch.config.json`);
  return value;
}

const pathLike = /[/\\]|\.(md|txt|prompt|tmpl|hbs|mustache|json)$/i;

/**
 * A prompt option is a file when a file of that name exists; a value that looks like a path but does
 * not exist is an error (so a typo never gets sent to the model as the prompt); anything else is the
 * text itself.
 */
export async function readTextOption(cwd: string, value: string, what: string): Promise<string> {
  const path = resolve(cwd, value);
  if (!value.includes('\n') && (await pathExists(path))) {
    try {
      return await readText(path);
    } catch (error) {
      throw new CliError(`cannot read ${what} file ${value}: ${(error as Error).message}`);
    }
  }
  if (!value.includes('\n') && !value.includes(' ') && pathLike.test(value)) {
    throw new CliError(`${what} file not found: ${value}`);
  }
  return value;
}

async function readSchema(cwd: string, value: string): Promise<Record<string, unknown>> {
  const path = resolve(cwd, value);
  if (!(await pathExists(path))) throw new CliError(`schema file not found: ${value}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readText(path));
  } catch (error) {
    throw new CliError(`schema file ${value} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`schema file ${value} must hold a JSON Schema object`);
  }
  const type = (parsed as { type?: unknown }).type;
  if (type !== undefined && typeof type !== 'string' && !Array.isArray(type)) {
    throw new CliError(`schema file ${value}: "type" must be a string or an array of strings`);
  }
  return parsed as Record<string, unknown>;
}
