import { resolveSource } from '@llmbatch/adapters';
import { createEngine } from '@llmbatch/core';
import { exitCodes } from '../internal/cli-error.js';
import type { CliIO } from '../io.js';
import { resolveModel } from '../providers.js';
import type { RunSettings } from '../settings.js';
import { jobFor } from './execute-run.js';
import { formatEstimate } from './format.js';

/** `llmbatch estimate`: streams the input once, counts tokens, prints the cost range. Sends nothing. */
export async function executeEstimate(
  settings: RunSettings,
  flags: { json: boolean },
  io: CliIO,
): Promise<number> {
  const resolved = resolveModel(
    { ...settings, baseUrl: settings.baseUrl ?? 'http://127.0.0.1:1/unused' },
    {},
  );
  const engine = createEngine({ providers: { [resolved.providerName]: resolved.provider } });
  try {
    const source = await resolveSource(settings.input, {
      standardInput: io.stdin as AsyncIterable<Uint8Array>,
    });
    const estimate = await engine.estimate(source, jobFor(settings, resolved.model));
    io.stdout.write(flags.json ? `${JSON.stringify(estimate)}\n` : `${formatEstimate(estimate)}\n`);
    return exitCodes.ok;
  } finally {
    await engine.close();
  }
}
