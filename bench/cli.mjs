// The command line as a whole process: reads a CSV, calls the fake provider, writes JSONL — beside a
// raw undici Pool loop doing the same requests, in one run.
//
//   pnpm bench --only cli [--units 100000,1000000] [--repeats 3] [--large-repeats 1] [--concurrency 256]
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/measure.mjs';
import { runJsonChild, startFakeProviderProcess } from './lib/processes.mjs';
import { writeUnitsCsv } from './lib/workload.mjs';

// The built `llmbatch` bin, started as users start it, measured by the preload module cli-worker.mjs.
const bin = join(createRequire(import.meta.url).resolve('llmbatch/package.json'), '..', 'dist', 'bin.js');
const cliWorker = pathToFileURL(fileURLToPath(new URL('./lib/cli-worker.mjs', import.meta.url))).href;
const rawWorker = fileURLToPath(new URL('./lib/engine-worker.mjs', import.meta.url));

export async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      units: { type: 'string', default: '100000,1000000' },
      repeats: { type: 'string', default: '3' },
      'large-repeats': { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '256' },
    },
    strict: false,
  });
  const sizes = String(values.units).split(',').map(Number);
  const repeats = Number(values.repeats);
  const largeRepeats = Number(values['large-repeats']);
  const concurrency = Number(values.concurrency);
  const dir = await mkdtemp(join(tmpdir(), 'llmbatch-bench-cli-'));
  const server = await startFakeProviderProcess({ latencyMs: 0 });
  const rows = [];
  try {
    for (const units of sizes) {
      const csv = join(dir, `data-${units}.csv`);
      await writeUnitsCsv(csv, units);
      const cli = [];
      const raw = [];
      // Sizes above 200,000 rows run `--large-repeats` times (default 1: 1e6 rows take about two minutes
      // a run here, raw loop included), the others `--repeats` times.
      const times = units > 200_000 ? largeRepeats : repeats;
      for (let round = 0; round < times; round++) {
        raw.push(
          await runJsonChild(rawWorker, [
            '--mode',
            'raw',
            '--url',
            server.url,
            '--units',
            String(units),
            '--concurrency',
            String(concurrency),
          ]),
        );
        const output = join(dir, `out-${units}.jsonl`);
        const figures = await runJsonChild(
          bin,
          [
            'run',
            csv,
            '-p',
            'Classify: {{text}}',
            '-m',
            'openai:gpt-4o-mini',
            '--base-url',
            `${server.url}/v1`,
            '-o',
            output,
            '--overwrite',
            '--quiet',
            '-c',
            String(concurrency),
            '--api-key-env',
            'BENCH_KEY',
          ],
          ['--import', cliWorker],
        );
        if (figures.code !== 0) throw new Error(`llmbatch exited with ${figures.code}`);
        const lines = await countLines(output);
        if (lines !== units) throw new Error(`llmbatch wrote ${lines} of ${units} results`);
        cli.push(figures);
        await rm(output, { force: true });
      }
      const cliRate = median(cli.map((run) => units / run.seconds));
      const rawRate = median(raw.map((run) => units / run.seconds));
      const row = {
        units,
        runs: times,
        cliRate,
        rawRate,
        ratio: cliRate / rawRate,
        cliCpu: median(cli.map((run) => run.cpuSeconds)),
        cliRssMiB: Math.max(...cli.map((run) => run.peakRssBytes)) / 2 ** 20,
        rawRssMiB: Math.max(...raw.map((run) => run.peakRssBytes)) / 2 ** 20,
        every: {
          cliRowsPerSecond: cli.map((run) => Math.round(units / run.seconds)),
          rawRowsPerSecond: raw.map((run) => Math.round(units / run.seconds)),
          cliCpuSeconds: cli.map((run) => Number(run.cpuSeconds.toFixed(2))),
          cliPeakRssMiB: cli.map((run) => Math.round(run.peakRssBytes / 2 ** 20)),
        },
      };
      rows.push(row);
      console.error(`cli bench: ${JSON.stringify(row)}`);
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `CLI \`llmbatch run\` (CSV → JSONL, C=${concurrency}, 0 ms fake provider) vs raw undici Pool, medians:\n`,
  );
  console.log(
    '| rows | runs | llmbatch rows/s | raw rows/s | ratio (target ≥ 0.75) | llmbatch CPU s | llmbatch peak RSS MiB (target ≤ 150) | raw peak RSS MiB |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.units} | ${row.runs} | ${row.cliRate.toFixed(0)} | ${row.rawRate.toFixed(0)} | ${row.ratio.toFixed(2)} | ${row.cliCpu.toFixed(1)} | ${row.cliRssMiB.toFixed(0)} | ${row.rawRssMiB.toFixed(0)} |`,
    );
  }
  console.log('\nEvery run (llmbatch rows/s, raw rows/s, llmbatch CPU s, llmbatch peak RSS MiB):\n');
  for (const row of rows) {
    const every = row.every;
    console.log(
      `- ${row.units} rows: ${every.cliRowsPerSecond.join(' / ')}; raw ${every.rawRowsPerSecond.join(' / ')}; CPU ${every.cliCpuSeconds.join(' / ')}; RSS ${every.cliPeakRssMiB.join(' / ')}`,
    );
  }
}

async function countLines(path) {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) lines++;
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
