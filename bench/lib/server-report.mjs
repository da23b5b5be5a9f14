// Markdown report of the server benchmark, checked against the targets of issue 7.

/** One worker must reach this share of the engine alone's throughput. */
export const oneWorkerTarget = 0.5;
/** Two workers must reach this multiple of one worker's throughput when latency is the bottleneck. */
export const twoWorkersTarget = 1.7;

const labels = {
  engine: 'engine alone',
  embedded: 'embedded PGlite, `all` (1 process)',
  'postgres-1': 'Postgres, 1 api + 1 worker',
  'postgres-2': 'Postgres, 1 api + 2 workers',
};

const rate = (value) => (value === undefined ? '–' : Math.round(value).toLocaleString('en-US'));
const seconds = (value) => (value === undefined ? '–' : value.toFixed(1));
const times = (value) => (value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`);
const mebibytes = (bytes) => (bytes === undefined ? '?' : (bytes / 2 ** 20).toFixed(0));
const met = (ok) => (ok ? 'yes' : '**NO**');
const loads = (values) => values.map((value) => value.toFixed(2)).join(' / ');

/**
 * Renders the result of `bench/server.mjs` as markdown: the machine, one table of figures (medians
 * over the repeats) and one row per target saying plainly whether it was met.
 *
 * @example
 * process.stdout.write(serverReport(await main(['--configs', 'embedded'])));
 */
export function serverReport({ settings, machine, results, totalSeconds }) {
  const lines = [
    `Run ${machine.date}` +
      (machine.revision === undefined
        ? ''
        : ` on commit \`${machine.revision.commit}\`` +
          (machine.revision.changedFilesInPackages > 0
            ? ` plus uncommitted changes to ${machine.revision.changedFilesInPackages} files under packages/`
            : '')) +
      ` (server \`dist\` built ${machine.serverBuiltAt}` +
      (machine.serverRebuiltAt === undefined
        ? ')'
        : `; **rebuilt during the run, at ${machine.serverRebuiltAt}: later configurations ran the new build**)`) +
      (Object.keys(settings.jobFields).length === 0
        ? ''
        : `; job fields ${JSON.stringify(settings.jobFields)}`) +
      (Object.keys(settings.serverEnvironment).length === 0
        ? ''
        : `; server environment ${Object.entries(settings.serverEnvironment)
            .map(([name, value]) => `${name}=${value}`)
            .join(' ')}`) +
      '.',
    '',
    `Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB` +
      (machine.postgres === undefined ? '' : `; ${machine.postgres.split(' on ')[0]} on the same machine`) +
      `. Load average (1 / 5 / 15 min) ${loads(machine.loadAtStart)} at the start, ${loads(machine.loadAtEnd)} at the end.`,
    '',
    `Job concurrency ${settings.concurrency} at 0 ms` +
      (settings.engineConcurrency === settings.concurrency
        ? ''
        : ` (the engine alone: concurrency ${settings.engineConcurrency})`) +
      `, ${settings.latencyConcurrency} with latency (job and engine alone: low enough that the latency, not the CPUs, bounds throughput)` +
      `; ${settings.repeats === 1 ? 'one run' : `medians of ${settings.repeats} runs`} ` +
      `per configuration, each on a fresh database, data folder and fake provider process; status polled every ${settings.pollMs} ms. ` +
      "End to end = upload start → last result line downloaded and checked; processing = the job's `startedAt` → `finishedAt`; " +
      "× engine = rows/s divided by the engine alone's (engine + HTTP against the same fake provider, same units). " +
      "CPU s per process over the timed part (api / worker … or the one `all` process; + pg = the Postgres backends serving the run's database); busy = share of all CPUs of the machine in use; " +
      'max in flight = most requests the fake provider held at once (at 0 ms it answers each at once, so this stays near 1).',
    '',
    '| Latency | Units | Configuration | End to end rows/s | × engine | Processing rows/s | × engine | Upload s | Queued s | Processing s | Download s | Worker peak RSS MiB | CPU s | Busy | Max in flight |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const entry of results) {
    const engine = entry.summary.engine;
    for (const [name, figures] of Object.entries(entry.summary)) {
      const runners = figures.processes?.filter((process) => process.command !== 'api');
      const peak =
        runners === undefined
          ? mebibytes(figures.peakRssBytes)
          : runners.map((process) => mebibytes(process.peakRssBytes)).join(' + ');
      const cpu =
        (figures.processes === undefined
          ? seconds(figures.cpuSeconds)
          : figures.processes.map((process) => seconds(process.cpuSeconds)).join(' / ')) +
        (figures.postgresCpuSeconds === undefined ? '' : ` + pg ${seconds(figures.postgresCpuSeconds)}`);
      const ratio = (value, base) => (name === 'engine' || base === undefined ? '–' : times(value / base));
      lines.push(
        `| ${entry.latencyMs} ms | ${rate(entry.units)} | ${labels[name] ?? name} ` +
          `| ${rate(figures.rowsPerSecond)} | ${ratio(figures.rowsPerSecond, engine?.rowsPerSecond)} ` +
          `| ${rate(figures.processingRowsPerSecond)} | ${ratio(figures.processingRowsPerSecond, engine?.rowsPerSecond)} ` +
          `| ${seconds(figures.uploadSeconds)} | ${seconds(figures.queueSeconds)} | ${seconds(figures.processingSeconds ?? figures.seconds)} ` +
          `| ${seconds(figures.downloadSeconds)} | ${peak} | ${cpu} ` +
          `| ${figures.busyShare === undefined ? '–' : `${(figures.busyShare * 100).toFixed(0)} %`} ` +
          `| ${figures.maxInFlight ?? '–'} |`,
      );
    }
  }

  lines.push('', '| Check | Measured | Target | Met |', '|---|---:|---:|---|');
  for (const entry of results) {
    const { engine } = entry.summary;
    for (const name of ['embedded', 'postgres-1']) {
      const figures = entry.summary[name];
      if (figures === undefined || engine === undefined) continue;
      const ratio = figures.rowsPerSecond / engine.rowsPerSecond;
      lines.push(
        `| ${entry.latencyMs} ms: ${labels[name]}, end to end / engine alone ` +
          `(${rate(figures.rowsPerSecond)} / ${rate(engine.rowsPerSecond)} rows/s; processing only: ` +
          `${times(figures.processingRowsPerSecond / engine.rowsPerSecond)}) ` +
          `| ${times(ratio)} | ≥ ${oneWorkerTarget}× | ${met(ratio >= oneWorkerTarget)} |`,
      );
    }
    const one = entry.summary['postgres-1'];
    const two = entry.summary['postgres-2'];
    if (one !== undefined && two !== undefined) {
      const ratio = two.rowsPerSecond / one.rowsPerSecond;
      const latencyBound = entry.latencyMs > 0;
      lines.push(
        `| ${entry.latencyMs} ms: 2 workers / 1 worker, end to end ` +
          `(${rate(two.rowsPerSecond)} / ${rate(one.rowsPerSecond)} rows/s; processing only: ` +
          `${times(two.processingRowsPerSecond / one.processingRowsPerSecond)}) ` +
          `| ${times(ratio)} | ${latencyBound ? `≥ ${twoWorkersTarget}×` : '– (CPU-bound: no target)'} ` +
          `| ${latencyBound ? met(ratio >= twoWorkersTarget) : '–'} |`,
      );
    }
  }

  if (settings.repeats > 1) {
    const runs = results.flatMap((entry) =>
      Object.entries(entry.summary).map(
        ([name, figures]) => `${entry.latencyMs} ms ${name} ${figures.runs.map(rate).join(' / ')}`,
      ),
    );
    lines.push('', `Every run (end-to-end rows/s): ${runs.join('; ')}.`);
  }
  lines.push('', `Total bench time: ${totalSeconds.toFixed(0)} s.`, '');
  return `${lines.join('\n')}\n`;
}
