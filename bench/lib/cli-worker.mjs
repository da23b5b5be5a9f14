#!/usr/bin/env node
// Runs the built `llmbatch` command line in this process, exactly as its bin does, and prints one JSON
// line with wall time, CPU time and peak RSS when it exits.
//
//   node bench/lib/cli-worker.mjs run data.csv -p "..." -m openai:gpt-4o-mini --base-url URL -o out.jsonl
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startMeasurement } from './measure.mjs';

const require = createRequire(import.meta.url);
const bin = join(require.resolve('llmbatch/package.json'), '..', 'dist', 'bin.js');
const stop = startMeasurement();
process.on('exit', (code) => {
  process.stdout.write(`${JSON.stringify({ code, ...stop() })}\n`);
});
process.argv = [process.argv[0] ?? 'node', bin, ...process.argv.slice(2)];
await import(pathToFileURL(bin).href);
