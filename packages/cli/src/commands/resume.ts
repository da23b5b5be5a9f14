import { resolve } from 'node:path';
import type { LLMBatchConfig } from '../config.js';
import { CliError } from '../internal/cli-error.js';
import type { CliIO } from '../io.js';
import { defaults, type RunSettings } from '../settings.js';
import { readState, type StateFile, statePathFor } from '../state-file.js';
import { executeRun, type RunFlags } from './execute-run.js';

/** Rebuilds the settings a run was started with, overlaid with execution flags given now. */
export function settingsFromState(output: string, state: StateFile, flags: LLMBatchConfig): RunSettings {
  const { settings, options } = state;
  return {
    input: settings.input,
    output,
    format: (settings.format ?? undefined) as RunSettings['format'],
    model: settings.model,
    prompt: settings.prompt,
    system: settings.system ?? undefined,
    schema: settings.schema ?? undefined,
    key: settings.key ?? undefined,
    concurrency: flags.concurrency ?? options.concurrency ?? defaults.concurrency,
    rpm: flags.rpm ?? options.rpm ?? undefined,
    tpm: flags.tpm ?? options.tpm ?? undefined,
    timeoutSeconds: flags.timeout ?? options.timeoutSeconds ?? defaults.timeout,
    retries: flags.retries ?? options.retries ?? defaults.retries,
    maxCost: flags.maxCost,
    maxTokens: options.maxTokens ?? undefined,
    temperature: options.temperature ?? undefined,
    baseUrl: options.baseUrl ?? undefined,
    apiKeyEnv: options.apiKeyEnv ?? undefined,
    ordered: flags.unordered === undefined ? options.ordered : !flags.unordered,
    confirmAbove: flags.confirmAbove ?? defaults.confirmAbove,
    failOnUnitError: flags.failOnUnitError ?? false,
  };
}

/** Loads the state file of `output`, or explains that there is nothing to resume. */
export async function requireState(output: string, io: CliIO): Promise<StateFile> {
  const state = await readState(statePathFor(resolve(io.cwd, output)));
  if (state === undefined) {
    throw new CliError(
      `nothing to resume: ${output} has no llmbatch state file beside it (${output}.llmbatch-state.json)`,
    );
  }
  return state;
}

/** `llmbatch resume <output>`: continues where the run stopped. */
export async function executeResume(
  output: string,
  flags: LLMBatchConfig,
  runFlags: RunFlags,
  io: CliIO,
): Promise<number> {
  const state = await requireState(output, io);
  return executeRun(
    settingsFromState(output, state, flags),
    { ...runFlags, overwrite: false, force: false },
    io,
  );
}
