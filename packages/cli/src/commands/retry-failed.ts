import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { readResumeState } from '@llmbatch/adapters';
import type { LLMBatchConfig } from '../config.js';
import { CliError, exitCodes } from '../internal/cli-error.js';
import type { CliIO } from '../io.js';
import { readState, removeState, statePathFor, writeState } from '../state-file.js';
import { executeRun, type RunFlags } from './execute-run.js';
import { requireState, settingsFromState } from './resume.js';

/**
 * `llmbatch retry-failed <output>`: runs again only the units whose result is an error, into a
 * temporary file, then rewrites the output with each failed line replaced by its new result. The
 * original output is untouched until the final rename.
 */
export async function executeRetryFailed(
  output: string,
  flags: LLMBatchConfig,
  runFlags: RunFlags,
  io: CliIO,
): Promise<number> {
  const path = resolve(io.cwd, output);
  if (!/\.jsonl$/i.test(path)) throw new CliError('retry-failed works on JSONL outputs (.jsonl)');
  const state = await requireState(output, io);
  const { keys } = await readResumeState(path);
  const failed = new Set([...keys].filter(([, status]) => status === 'error').map(([key]) => key));
  if (failed.size === 0) {
    if (!runFlags.quiet) io.stderr.write(`No failed units in ${output}.\n`);
    return exitCodes.ok;
  }
  if (!runFlags.quiet) io.stderr.write(`Retrying ${failed.size} failed units of ${output}…\n`);
  const retryPath = `${path}.retry.jsonl`;
  const settings = { ...settingsFromState(retryPath, state, flags), ordered: true };
  const code = await executeRun(
    settings,
    { ...runFlags, overwrite: true, force: false, onlyKeys: failed },
    io,
  );
  try {
    if (code === exitCodes.ok || code === exitCodes.failed) await replaceLines(path, retryPath);
  } finally {
    await rm(retryPath, { force: true });
    await removeState(statePathFor(retryPath));
  }
  const current = await readState(statePathFor(path));
  if (current !== undefined)
    await writeState(statePathFor(path), { ...current, updatedAt: new Date().toISOString() });
  return code;
}

async function replaceLines(path: string, replacementsPath: string): Promise<void> {
  const replacements = new Map<string, string>();
  for await (const line of createInterface({
    input: createReadStream(replacementsPath),
    crlfDelay: Infinity,
  })) {
    if (line.trim() === '') continue;
    replacements.set((JSON.parse(line) as { key: string }).key, line);
  }
  if (replacements.size === 0) return;
  const temporary = `${path}.merge.tmp`;
  const out = createWriteStream(temporary);
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    const key = (JSON.parse(line) as { key: string }).key;
    const replacement = replacements.get(key);
    if (!out.write(`${replacement ?? line}\n`))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  await rename(temporary, path);
}
