import { rm } from 'node:fs/promises';
import { CliError } from './internal/cli-error.js';
import { readText, sha256, writeAtomic } from './internal/files.js';
import type { RunSettings } from './settings.js';

/** The settings that decide what a result means; a resume with different ones is refused. */
export interface LedgerSettings {
  input: string;
  model: string;
  prompt: string;
  system: string | null;
  schema: Record<string, unknown> | null;
  key: string | null;
  format: string | null;
}

/** The small JSON file kept beside an output: with the output itself, it is the run's ledger. */
export interface StateFile {
  version: 1;
  tool: 'llmbatch';
  status: 'running' | 'interrupted' | 'completed' | 'failed';
  settings: LedgerSettings;
  /** Hashes of the long settings, for a quick look. */
  fingerprint: { prompt: string; system: string | null; schema: string | null };
  /** Operational settings of the last invocation (not compared on resume). */
  options: {
    concurrency: number;
    timeoutSeconds: number;
    retries: number;
    baseUrl: string | null;
    apiKeyEnv: string | null;
    ordered: boolean;
    maxTokens: number | null;
    temperature: number | null;
    rpm: number | null;
    tpm: number | null;
  };
  createdAt: string;
  updatedAt: string;
  lastSummary?: unknown;
}

/** Path of the state file that belongs to an output. */
export function statePathFor(output: string): string {
  return `${output}.llmbatch-state.json`;
}

/** Reads a state file; `undefined` when there is none. */
export async function readState(path: string): Promise<StateFile | undefined> {
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const state = JSON.parse(text) as StateFile;
    if (state.tool !== 'llmbatch' || state.version !== 1) throw new Error('not an llmbatch state file');
    return state;
  } catch (error) {
    throw new CliError(
      `state file ${path} is corrupt (${(error as Error).message}); pass --overwrite to start over`,
    );
  }
}

/** Writes the state file atomically (temp file + rename), so a crash never leaves half of it. */
export async function writeState(path: string, state: StateFile): Promise<void> {
  await writeAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** Removes a state file if present. */
export async function removeState(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Builds the state for `settings`, keeping `createdAt` of a previous state. */
export function stateFor(
  settings: RunSettings,
  status: StateFile['status'],
  previous?: StateFile,
): StateFile {
  const now = new Date().toISOString();
  return {
    version: 1,
    tool: 'llmbatch',
    status,
    settings: ledgerSettings(settings),
    fingerprint: {
      prompt: sha256(settings.prompt),
      system: settings.system === undefined ? null : sha256(settings.system),
      schema: settings.schema === undefined ? null : sha256(JSON.stringify(settings.schema)),
    },
    options: {
      concurrency: settings.concurrency,
      timeoutSeconds: settings.timeoutSeconds,
      retries: settings.retries,
      baseUrl: settings.baseUrl ?? null,
      apiKeyEnv: settings.apiKeyEnv ?? null,
      ordered: settings.ordered,
      maxTokens: settings.maxTokens ?? null,
      temperature: settings.temperature ?? null,
      rpm: settings.rpm ?? null,
      tpm: settings.tpm ?? null,
    },
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
}

export function ledgerSettings(settings: RunSettings): LedgerSettings {
  return {
    input: settings.input,
    model: settings.model,
    prompt: settings.prompt,
    system: settings.system ?? null,
    schema: settings.schema ?? null,
    key: settings.key ?? null,
    format: settings.format ?? null,
  };
}

/** Names of the ledger settings that differ, for the refusal message. */
export function differences(before: LedgerSettings, now: LedgerSettings): string[] {
  const names: string[] = [];
  if (before.input !== now.input) names.push(`input (${before.input} → ${now.input})`);
  if (before.model !== now.model) names.push(`model (${before.model} → ${now.model})`);
  if (before.prompt !== now.prompt) names.push('prompt');
  if (before.system !== now.system) names.push('system prompt');
  if (JSON.stringify(before.schema) !== JSON.stringify(now.schema)) names.push('schema');
  if (before.key !== now.key)
    names.push(`key field (${before.key ?? 'row number'} → ${now.key ?? 'row number'})`);
  return names;
}
