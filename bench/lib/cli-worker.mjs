// Measures the `llmbatch` process the benchmark starts, as a preload module:
//
//   node --import ./bench/lib/cli-worker.mjs packages/cli/dist/bin.js run data.csv -p "..." -o out.jsonl
//
// The command line is started as users start it, so it may restart itself in place with its tuned V8
// flags (`process.execve`, same process); Node passes `--import` on, so this module loads again in the
// restarted process. It prints one JSON line on stdout when the process exits: exit code, wall time since
// this module first loaded (carried across the restart in an environment variable; Node's own start-up
// is not counted), and the CPU time and peak RSS of the whole process, which both survive the restart.
process.env.LLMBATCH_BENCH_STARTED_NS ??= String(process.hrtime.bigint());
const startedNs = BigInt(process.env.LLMBATCH_BENCH_STARTED_NS);
process.on('exit', (code) => {
  const cpu = process.cpuUsage();
  const figures = {
    code,
    seconds: Number(process.hrtime.bigint() - startedNs) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    // maxRSS is in kibibytes.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
});
