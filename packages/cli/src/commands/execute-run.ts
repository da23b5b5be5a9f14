import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { readResumeState, resolveSink, resolveSource } from '@llmbatch/adapters';
import { createEngine, type Estimate, type JobSpec, type RunSummary } from '@llmbatch/core';
import { CliError, exitCodes } from '../internal/cli-error.js';
import { pathExists } from '../internal/files.js';
import type { CliIO } from '../io.js';
import { createProgressReporter } from '../progress.js';
import { resolveModel } from '../providers.js';
import type { RunSettings } from '../settings.js';
import {
  differences,
  ledgerSettings,
  readState,
  removeState,
  stateFor,
  statePathFor,
  writeState,
} from '../state-file.js';
import { formatEstimate, formatSummary } from './format.js';

/** Flags that change how a run is carried out but not what it means. */
export interface RunFlags {
  yes: boolean;
  quiet: boolean;
  json: boolean;
  force: boolean;
  overwrite: boolean;
  /** Only these keys are sent (retry-failed); `undefined` sends everything not yet done. */
  onlyKeys?: ReadonlySet<string>;
}

/** Builds the engine job from settings. */
export function jobFor(settings: RunSettings, model: string): JobSpec {
  const job: JobSpec = { model, prompt: settings.prompt };
  if (settings.system !== undefined) job.system = settings.system;
  if (settings.schema !== undefined) job.schema = settings.schema;
  if (settings.key !== undefined) job.keyField = settings.key;
  if (settings.maxTokens !== undefined) job.maxTokens = settings.maxTokens;
  if (settings.temperature !== undefined) job.temperature = settings.temperature;
  return job;
}

function engineFor(settings: RunSettings, provider: ReturnType<typeof resolveModel>) {
  return createEngine({
    providers: { [provider.providerName]: provider.provider },
    concurrency: settings.concurrency,
    timeoutMs: Math.round(settings.timeoutSeconds * 1000),
    retry: { maxRetries: settings.retries },
    ...(settings.rpm === undefined ? {} : { requestsPerMinute: settings.rpm }),
    ...(settings.tpm === undefined ? {} : { tokensPerMinute: settings.tpm }),
  });
}

/**
 * Runs (or resumes) a batch into `settings.output`. The output file and its state file are the
 * ledger: units already in the output are skipped and not billed again.
 */
export async function executeRun(settings: RunSettings, flags: RunFlags, io: CliIO): Promise<number> {
  const output = settings.output === '-' ? '-' : resolve(io.cwd, settings.output);
  if (output === '-' && flags.json)
    throw new CliError('--json prints the summary on stdout; it cannot be used with -o -');
  const statePath = output === '-' ? undefined : statePathFor(output);
  const resolved = resolveModel(settings, io.env);
  const job = jobFor(settings, resolved.model);

  const previous = statePath === undefined ? undefined : await readState(statePath);
  const outputExists = output !== '-' && (await pathExists(output));
  let done: Map<string, 'ok' | 'error'> | undefined;
  if (flags.overwrite) {
    if (outputExists) await rm(output, { force: true });
    if (statePath !== undefined) await removeState(statePath);
  } else if (outputExists && previous === undefined) {
    throw new CliError(
      `${settings.output} already exists and has no llmbatch state file beside it; pass --overwrite to replace it`,
    );
  } else if (previous !== undefined) {
    const changed = differences(previous.settings, ledgerSettings(settings));
    if (changed.length > 0 && !flags.force) {
      throw new CliError(
        `refusing to resume ${settings.output}: ${changed.join(', ')} differ from the run that wrote it. Pass --force to continue with the new settings, or --overwrite to start over.`,
      );
    }
    if (outputExists) {
      const format = settings.format === undefined ? {} : { format: settings.format };
      const state = await readResumeState(output, format);
      done = state.keys;
      if (state.truncatedBytes > 0 && !flags.quiet) {
        io.stderr.write(
          `Repaired ${settings.output}: removed a torn last record (${state.truncatedBytes} bytes).\n`,
        );
      }
    }
  }

  const engine = engineFor(settings, resolved);
  const openSource = () =>
    resolveSource(settings.input, { standardInput: io.stdin as AsyncIterable<Uint8Array> });

  let estimate: Estimate | undefined;
  const interactive = io.stderr.isTTY === true && io.stdin.isTTY === true;
  if (interactive && settings.input !== '-' && !flags.quiet) {
    estimate = await engine.estimate(await openSource(), job);
    io.stderr.write(`${formatEstimate(estimate)}\n`);
    const expected = estimate.cost?.expected ?? 0;
    if (!flags.yes && expected > settings.confirmAbove) {
      const answer = await ask(
        io,
        `Expected cost $${expected.toFixed(2)} is above $${settings.confirmAbove.toFixed(2)}. Continue? [y/N] `,
      );
      if (!/^y(es)?$/i.test(answer.trim())) {
        await engine.close();
        io.stderr.write('Nothing was sent.\n');
        return exitCodes.ok;
      }
    }
  }

  if (statePath !== undefined) await writeState(statePath, stateFor(settings, 'running', previous));
  const source = await openSource();
  const sink = await resolveSink(output, {
    mode: done === undefined ? 'overwrite' : 'append',
    ...(settings.format === undefined ? {} : { format: settings.format }),
    standardOutput: io.stdout,
  });

  const controller = new AbortController();
  let interrupts = 0;
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const stop = (signal: 'SIGINT' | 'SIGTERM') => {
    interrupts++;
    stoppedBy ??= signal;
    if (interrupts > 1) io.exitNow(signal === 'SIGINT' ? exitCodes.interrupted : exitCodes.terminated);
    if (!flags.quiet)
      io.stderr.write('\nStopping: in-flight requests are being cancelled (Ctrl-C again to exit at once)…\n');
    controller.abort();
  };
  const unsubscribe = [
    io.onSignal('SIGINT', () => stop('SIGINT')),
    io.onSignal('SIGTERM', () => stop('SIGTERM')),
  ];

  const previouslyDone = done?.size ?? 0;
  const isDone = (key: string) =>
    flags.onlyKeys === undefined ? done?.has(key) === true : !flags.onlyKeys.has(key);
  const run = engine.run(source, job, {
    signal: controller.signal,
    ordered: settings.ordered,
    ...(done === undefined && flags.onlyKeys === undefined ? {} : { checkpoint: { isDone } }),
    ...(settings.maxCost === undefined ? {} : { maxCost: settings.maxCost }),
  });
  const reporter = flags.quiet
    ? undefined
    : createProgressReporter({
        stream: io.stderr,
        total:
          estimate === undefined
            ? undefined
            : estimate.units - (flags.onlyKeys === undefined ? previouslyDone : 0),
        previouslyDone,
      });
  if (reporter !== undefined) run.on('progress', (progress) => reporter.update(progress));

  let failure: unknown;
  try {
    for await (const result of run) await sink.write(result);
  } catch (error) {
    failure = error;
    controller.abort();
  }
  try {
    await sink.close();
  } catch (error) {
    failure ??= error;
  }
  for (const off of unsubscribe) off();
  reporter?.stop();
  const summary = await run.summary;
  await engine.close();
  const status =
    failure !== undefined || summary.reason === 'failed'
      ? 'failed'
      : stoppedBy !== undefined
        ? 'interrupted'
        : 'completed';
  if (statePath !== undefined)
    await writeState(statePath, { ...stateFor(settings, status, previous), lastSummary: summary });
  return report(settings, flags, io, summary, { previouslyDone, status, failure, stoppedBy });
}

function report(
  settings: RunSettings,
  flags: RunFlags,
  io: CliIO,
  summary: RunSummary,
  outcome: {
    previouslyDone: number;
    status: string;
    failure: unknown;
    stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  },
): number {
  const exitCode =
    outcome.stoppedBy === 'SIGINT'
      ? exitCodes.interrupted
      : outcome.stoppedBy === 'SIGTERM'
        ? exitCodes.terminated
        : outcome.status === 'failed'
          ? exitCodes.failed
          : settings.failOnUnitError && summary.failed > 0
            ? exitCodes.failed
            : exitCodes.ok;
  const failureMessage =
    outcome.failure !== undefined
      ? outcome.failure instanceof Error
        ? outcome.failure.message
        : String(outcome.failure)
      : summary.error?.message;
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ output: settings.output, status: outcome.status, previouslyDone: outcome.previouslyDone, exitCode, summary, ...(failureMessage === undefined ? {} : { error: failureMessage }) })}\n`,
    );
  } else if (!flags.quiet) {
    io.stderr.write(`${formatSummary(summary, outcome.previouslyDone)}\n`);
  }
  if (failureMessage !== undefined) io.stderr.write(`llmbatch: run failed: ${failureMessage}\n`);
  if (outcome.stoppedBy !== undefined || summary.reason === 'budget-exceeded') {
    io.stderr.write(`Resume with: llmbatch resume ${settings.output}\n`);
  }
  return exitCode;
}

async function ask(io: CliIO, question: string): Promise<string> {
  const readline = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return await readline.question(question);
  } finally {
    readline.close();
  }
}
