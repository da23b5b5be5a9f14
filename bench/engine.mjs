#!/usr/bin/env node
// Engine benchmark: @llmbatch/core against the fake provider in a separate process, side by side with a
// raw undici Pool loop sending the same requests. Every configuration runs in a fresh worker process.
//
//   node bench/engine.mjs [--units 100000] [--latency-units 20000] [--memory-units 1000000]
//                         [--repeats 3] [--concurrency 64,256] [--latency 0,50] [--no-memory]
//                         [--cpu-prof DIR] [--json FILE]
//
// Progress goes to stderr; the markdown report to stdout. Needs the built packages (`pnpm bench`).
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nonNegative, positive } from './lib/args.mjs';
import { assertSameRequests } from './lib/body-check.mjs';
import { median } from './lib/measure.mjs';
import { processCpuSeconds, runJsonChild, startFakeProviderProcess } from './lib/processes.mjs';
import { engineReport } from './lib/report.mjs';

const workerScript = fileURLToPath(new URL('./lib/engine-worker.mjs', import.meta.url));

const options = {
  units: { type: 'string', default: '100000' },
  'latency-units': { type: 'string', default: '20000' },
  'memory-units': { type: 'string', default: '1000000' },
  repeats: { type: 'string', default: '3' },
  concurrency: { type: 'string', default: '64,256' },
  latency: { type: 'string', default: '0,50' },
  'no-memory': { type: 'boolean', default: false },
  'cpu-prof': { type: 'string' },
  json: { type: 'string' },
};

/**
 * Runs the engine benchmark with command-line style arguments and prints the markdown report.
 *
 * @example
 * await main(['--units', '10000', '--repeats', '1']);
 */
export async function main(argv = process.argv.slice(2)) {
  const { values } = parseArgs({ args: argv, options, strict: true });
  const settings = {
    units: positive(values.units, '--units'),
    latencyUnits: positive(values['latency-units'], '--latency-units'),
    memoryUnits: positive(values['memory-units'], '--memory-units'),
    repeats: positive(values.repeats, '--repeats'),
    concurrencies: values.concurrency.split(',').map((value) => positive(value, '--concurrency')),
    latencies: values.latency.split(',').map((value) => nonNegative(value, '--latency')),
    memory: !values['no-memory'],
    profileDirectory: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
  };
  const startedAt = process.hrtime.bigint();
  const loadAtStart = loadavg()[0];

  const checked = await assertSameRequests(workerScript);
  log(`engine and raw baseline send identical requests (${checked} compared)`);

  const configurations = [];
  for (const latencyMs of settings.latencies) {
    for (const concurrency of settings.concurrencies) {
      const units = latencyMs === 0 ? settings.units : settings.latencyUnits;
      const runs = { engine: [], raw: [] };
      for (let repeat = 1; repeat <= settings.repeats; repeat++) {
        // Alternate which side goes first so drift in machine load does not favour one of them.
        const order = repeat % 2 === 1 ? ['raw', 'engine'] : ['engine', 'raw'];
        for (const mode of order) {
          const figures = await measure({ mode, latencyMs, concurrency, units, repeat, settings });
          runs[mode].push(figures);
        }
      }
      configurations.push({
        latencyMs,
        concurrency,
        units,
        engine: summarise(runs.engine),
        raw: summarise(runs.raw),
      });
    }
  }

  let memory;
  if (settings.memory) {
    const concurrency = Math.max(...settings.concurrencies);
    const base = configurations.find((entry) => entry.latencyMs === 0 && entry.concurrency === concurrency);
    const small =
      base?.engine ??
      summarise([
        await measure({
          mode: 'engine',
          latencyMs: 0,
          concurrency,
          units: settings.units,
          repeat: 1,
          settings,
        }),
      ]);
    const large = await measure({
      mode: 'engine',
      latencyMs: 0,
      concurrency,
      units: settings.memoryUnits,
      repeat: 1,
      settings,
    });
    memory = { concurrency, smallUnits: settings.units, small, largeUnits: settings.memoryUnits, large };
  }

  // What the engine's own bookkeeping costs per unit, without HTTP (no server, one run each).
  const withoutHttp = [];
  for (const latencyMs of settings.latencies) {
    for (const concurrency of settings.concurrencies) {
      const units = latencyMs === 0 ? settings.units : settings.latencyUnits;
      const args = ['--mode', 'engine-no-http', '--latency', String(latencyMs), '--units', String(units)];
      const figures = await runJsonChild(workerScript, [...args, '--concurrency', String(concurrency)]);
      const rowsPerSecond = units / figures.seconds;
      log(
        `engine without HTTP ${String(latencyMs).padStart(2)} ms C=${concurrency}: ${rowsPerSecond.toFixed(0)} rows/s, ` +
          `${figures.cpuSeconds.toFixed(2)} CPU s`,
      );
      withoutHttp.push({ latencyMs, concurrency, units, ...figures, rowsPerSecond });
    }
  }

  const totalSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    loadAtStart,
    loadAtEnd: loadavg()[0],
  };
  const result = { settings, machine, configurations, memory, withoutHttp, totalSeconds };
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(engineReport(result));
  return result;
}

async function measure({ mode, latencyMs, concurrency, units, repeat, settings }) {
  const server = await startFakeProviderProcess({ latencyMs });
  const serverCpuBefore = await processCpuSeconds(server.pid);
  const nodeArgs =
    settings.profileDirectory === undefined
      ? []
      : [
          '--cpu-prof',
          `--cpu-prof-dir=${settings.profileDirectory}`,
          `--cpu-prof-name=${mode}-${latencyMs}ms-c${concurrency}-n${units}-r${repeat}.cpuprofile`,
        ];
  let figures;
  let serverCpuSeconds;
  let stats;
  try {
    const args = [
      '--mode',
      mode,
      '--url',
      server.url,
      '--units',
      String(units),
      '--concurrency',
      String(concurrency),
    ];
    figures = await runJsonChild(workerScript, args, nodeArgs);
    const serverCpuAfter = await processCpuSeconds(server.pid);
    if (serverCpuBefore !== undefined && serverCpuAfter !== undefined) {
      serverCpuSeconds = serverCpuAfter - serverCpuBefore;
    }
  } finally {
    stats = await server.stop();
  }
  if (stats.answered !== undefined && stats.answered < units) {
    throw new Error(`${mode}: the fake provider answered ${stats.answered} of ${units} requests`);
  }
  if (figures.failed > 0) {
    throw new Error(
      `${mode}: ${figures.failed} of ${units} units failed: ${JSON.stringify(figures.firstError)}`,
    );
  }
  const rowsPerSecond = units / figures.seconds;
  log(
    `${mode.padEnd(6)} ${String(latencyMs).padStart(2)} ms C=${String(concurrency).padEnd(3)} n=${units} #${repeat}: ` +
      `${rowsPerSecond.toFixed(0)} rows/s, ${figures.cpuSeconds.toFixed(2)} CPU s, ` +
      `${(figures.peakRssBytes / 2 ** 20).toFixed(0)} MiB peak RSS` +
      (serverCpuSeconds === undefined ? '' : `, server ${serverCpuSeconds.toFixed(2)} CPU s`),
  );
  return { ...figures, rowsPerSecond, serverCpuSeconds };
}

function summarise(runs) {
  const pick = (name) => median(runs.map((run) => run[name]).filter((value) => value !== undefined));
  return {
    rowsPerSecond: pick('rowsPerSecond'),
    seconds: pick('seconds'),
    cpuSeconds: pick('cpuSeconds'),
    peakRssBytes: pick('peakRssBytes'),
    serverCpuSeconds: runs.some((run) => run.serverCpuSeconds !== undefined)
      ? pick('serverCpuSeconds')
      : undefined,
    runs: runs.map(({ rowsPerSecond, cpuSeconds, peakRssBytes }) => ({
      rowsPerSecond,
      cpuSeconds,
      peakRssBytes,
    })),
  };
}

function log(line) {
  process.stderr.write(`[engine] ${line}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
