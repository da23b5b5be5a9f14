#!/usr/bin/env node
// Entry of `pnpm bench`: runs every registered benchmark, or only those named with --only.
//
//   node bench/run.mjs                          # all benchmarks
//   node bench/run.mjs --only engine            # one (comma-separate or repeat --only for several)
//   node bench/run.mjs --only engine --units 10000 --repeats 1   # other flags go to the benchmarks
//
// Each benchmark module exports `main(argv)` and prints a markdown section under its own heading.

/** Benchmarks by name; add one line per new benchmark module. */
const benchmarks = {
  engine: () => import('./engine.mjs'),
  cli: () => import('./cli.mjs'),
  'adapters-streaming': () => import('./adapters-streaming.mjs'),
  server: () => import('./server.mjs'),
};

const argv = process.argv.slice(2);
const only = [];
const rest = [];
for (let index = 0; index < argv.length; index++) {
  const argument = argv[index];
  if (argument === '--only') {
    const value = argv[++index];
    if (value === undefined) throw new Error('--only needs a benchmark name');
    only.push(...value.split(','));
  } else if (argument.startsWith('--only=')) {
    only.push(...argument.slice('--only='.length).split(','));
  } else {
    rest.push(argument);
  }
}

const unknown = only.filter((name) => !(name in benchmarks));
if (unknown.length > 0) {
  throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`);
}
const selected = only.length > 0 ? only : Object.keys(benchmarks);

for (const name of selected) {
  process.stdout.write(`\n## ${name[0]?.toUpperCase()}${name.slice(1)}\n\n`);
  const module = await benchmarks[name]();
  await module.main(rest);
}
