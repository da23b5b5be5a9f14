#!/usr/bin/env node
// Streaming proof for @llmbatch/adapters: reading a CSV and writing JSONL results keeps peak memory flat
// as the input grows. For each size a CSV is written into a temp dir; a child process reads it through
// createCsvSource, writes one result per row through createJsonlSink and reports its peak RSS
// (process.resourceUsage().maxRSS). The largest run must stay within 1.3x of the smallest.
//
//   node bench/adapters-streaming.mjs [--rows 100000,1000000]
//
// Each size runs twice: with Node's default flags, which decides (exit code 1 when over the limit), and with
// the young generation fixed at 16 MB (--min-semi-space-size=16 --max-semi-space-size=16), for reference.
// V8 grows its young generation as objects survive young collections, so a long run only stays flat when
// little survives each one: the sources parse small chunks and the sinks keep their buffered text as
// bytes, off the JavaScript heap (see the Adapters streaming section of docs/benchmarks.md).
//
// Progress goes to stderr, the markdown report to stdout. Needs the built package
// (`pnpm --filter @llmbatch/adapters build`). Exports `main(argv)` for bench/run.mjs.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const script = fileURLToPath(import.meta.url);
const adapters = new URL('../packages/adapters/dist/index.js', import.meta.url);
const limit = 1.3;
const modes = [
  { name: 'default V8 flags', flags: [], decides: true },
  {
    name: 'young generation fixed at 16 MB',
    flags: ['--min-semi-space-size=16', '--max-semi-space-size=16'],
    decides: false,
  },
];

/** Runs in the child: CSV source -> one result per row -> JSONL sink; prints a JSON report. */
async function child(csvPath, outPath) {
  const { createCsvSource, createJsonlSink } = await import(adapters.href);
  const started = performance.now();
  const sink = await createJsonlSink(outPath);
  let index = 0;
  for await (const row of createCsvSource(csvPath)) {
    await sink.write({
      index,
      key: String(row.id),
      status: 'ok',
      value: { category: row.category, length: String(row.text).length },
      raw: String(row.text),
      warnings: [],
      usage: { inputTokens: 12, outputTokens: 4, cachedInputTokens: 0, cacheWriteTokens: 0 },
      cost: 0.00001,
      attempts: [{ attempt: 1, durationMs: 1 }],
      durationMs: 1,
    });
    index += 1;
  }
  await sink.close();
  const durationMs = Math.round(performance.now() - started);
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ rows: index, maxRssBytes, durationMs })}\n`);
}

async function writeCsv(path, rows) {
  const out = createWriteStream(path);
  const categories = ['books', 'garden', 'toys, games', 'food ""fresh""'];
  const write = async (text) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('id,text,category\n');
  let batch = '';
  for (let id = 0; id < rows; id += 1) {
    batch += `${id},"Review ${id}: arrived late, works fine; would buy again","${categories[id % 4]}"\n`;
    if (batch.length > 64 * 1024) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch);
  out.end();
  await once(out, 'finish');
}

const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Runs the benchmark and prints a markdown report. Returns the ratio per mode. */
export async function main(argv = process.argv.slice(2)) {
  const { values } = parseArgs({ args: argv, options: { rows: { type: 'string' } }, strict: false });
  const sizes = String(values.rows ?? '100000,1000000')
    .split(',')
    .map(Number)
    .filter((value) => Number.isInteger(value) && value > 0);
  const dir = await mkdtemp(join(tmpdir(), 'llmbatch-bench-adapters-'));
  const table = [];
  try {
    for (const rows of sizes) {
      const csvPath = join(dir, `input-${rows}.csv`);
      const outPath = join(dir, `output-${rows}.jsonl`);
      process.stderr.write(`adapters-streaming: writing ${rows} rows\n`);
      await writeCsv(csvPath, rows);
      const line = { rows, inputBytes: (await stat(csvPath)).size, runs: [] };
      for (const mode of modes) {
        process.stderr.write(`adapters-streaming: ${rows} rows, ${mode.name}\n`);
        const run = spawnSync(process.execPath, [...mode.flags, script, '--child', csvPath, outPath], {
          encoding: 'utf8',
          maxBuffer: 1024 * 1024,
        });
        if (run.status !== 0) throw new Error(`child failed for ${rows} rows:\n${run.stderr}`);
        const report = JSON.parse(run.stdout);
        if (report.rows !== rows) throw new Error(`expected ${rows} rows, read ${report.rows}`);
        line.outputBytes = (await stat(outPath)).size;
        line.runs.push(report);
        await rm(outPath);
      }
      table.push(line);
      await rm(csvPath);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const out = [
    'CSV source -> JSONL sink, one child process per run; peak RSS from `process.resourceUsage().maxRSS`.',
    '',
    `| rows | CSV in | JSONL out | ${modes.map((mode) => `peak RSS (${mode.name})`).join(' | ')} | time |`,
    `|---:|---:|---:|${modes.map(() => '---:').join('|')}|---:|`,
  ];
  for (const line of table) {
    const rss = line.runs.map((run) => megabytes(run.maxRssBytes)).join(' | ');
    const time = line.runs.map((run) => `${run.durationMs} ms`).join(' / ');
    out.push(
      `| ${line.rows} | ${megabytes(line.inputBytes)} | ${megabytes(line.outputBytes)} | ${rss} | ${time} |`,
    );
  }
  out.push('');
  const ratios = {};
  const first = table[0];
  const last = table.at(-1);
  if (first !== undefined && last !== undefined && last !== first) {
    modes.forEach((mode, position) => {
      const ratio = last.runs[position].maxRssBytes / first.runs[position].maxRssBytes;
      ratios[mode.name] = ratio;
      const verdict = mode.decides ? (ratio <= limit ? 'ok' : '**over the limit**') : 'informational';
      out.push(
        `- ${last.rows} vs ${first.rows} rows, ${mode.name}: ${ratio.toFixed(2)}x (limit ${limit}x): ${verdict}`,
      );
      if (mode.decides && ratio > limit) process.exitCode = 1;
    });
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return ratios;
}

if (process.argv[1] === script) {
  if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
  else await main();
}
