#!/usr/bin/env node
// One benchmark configuration in a process of its own, so peak RSS belongs to that configuration.
//
//   node bench/lib/engine-worker.mjs --mode engine|raw --url http://127.0.0.1:PORT --units 100000 --concurrency 64
//   node bench/lib/engine-worker.mjs --mode engine-no-http --latency 50 --units 20000 --concurrency 64
//
// `engine-no-http` runs the engine over an in-process provider that answers after `--latency` ms with
// the fake provider's reply, to show what the engine's own bookkeeping costs without any HTTP.
//
// Prints one JSON line: { mode, units, succeeded, failed, seconds, cpuSeconds, peakRssBytes }.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createEngine, createOpenAICompatibleProvider } from '@llmbatch/core';
import { Pool } from 'undici';
import { startMeasurement } from './measure.mjs';
import { completionsPath, generateUnits, job, requestBody, requestHeaders } from './workload.mjs';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    url: { type: 'string' },
    units: { type: 'string' },
    concurrency: { type: 'string' },
    latency: { type: 'string', default: '0' },
  },
  strict: true,
});
const mode = values.mode;
const url = values.url;
const units = Number(values.units);
const concurrency = Number(values.concurrency);
const latencyMs = Number(values.latency);
const needsServer = mode !== 'engine-no-http';
if (
  !['engine', 'raw', 'engine-no-http'].includes(mode) ||
  (needsServer && url === undefined) ||
  !(units > 0) ||
  !(concurrency > 0)
) {
  throw new Error(
    'usage: engine-worker.mjs --mode engine|raw|engine-no-http --url URL --units N --concurrency C',
  );
}

// Both sides get the same keep-alive pool: one connection per concurrent request.
const pool = needsServer ? new Pool(url, { connections: concurrency }) : undefined;
const outcome =
  mode === 'raw' ? await runRaw() : await runEngine(mode === 'engine' ? httpProvider() : inProcessProvider());
await pool?.close();
process.stdout.write(`${JSON.stringify({ mode, units, ...outcome })}\n`);

function httpProvider() {
  return createOpenAICompatibleProvider({ baseURL: `${url}/v1`, apiKey: 'bench', dispatcher: pool });
}

function inProcessProvider() {
  const usage = { inputTokens: 20, outputTokens: 20, cachedInputTokens: 0, cacheWriteTokens: 0 };
  return {
    name: 'openai',
    async complete(request) {
      if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: request.signal });
      // Same text the fake provider sends back: its echo of the user message.
      const content = request.messages.at(-1)?.content ?? '';
      return { text: JSON.stringify({ echo: content, length: content.length }), usage, finishReason: 'stop' };
    },
  };
}

async function runEngine(provider) {
  const engine = createEngine({ providers: { openai: provider }, concurrency });
  const stop = startMeasurement();
  const run = engine.run(generateUnits(units), job);
  let succeeded = 0;
  let failed = 0;
  let firstError;
  for await (const result of run) {
    if (result.status === 'ok') succeeded++;
    else {
      failed++;
      firstError ??= result.error;
    }
  }
  const figures = stop();
  const summary = await run.summary;
  await engine.close();
  if (summary.done !== units) throw new Error(`engine finished ${summary.done} of ${units} units`);
  return { succeeded, failed, ...figures, ...(firstError === undefined ? {} : { firstError }) };
}

async function runRaw() {
  const source = generateUnits(units);
  let succeeded = 0;
  let failed = 0;
  const worker = async () => {
    for (let next = source.next(); next.done !== true; next = source.next()) {
      const response = await pool.request({
        path: completionsPath,
        method: 'POST',
        headers: requestHeaders,
        body: requestBody(next.value),
      });
      const parsed = JSON.parse(await response.body.text());
      if (response.statusCode === 200 && typeof parsed.choices?.[0]?.message?.content === 'string')
        succeeded++;
      else failed++;
    }
  };
  const stop = startMeasurement();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { succeeded, failed, ...stop() };
}
