// Markdown report of the engine benchmark, checked against the targets of issue 2.

/** Engine throughput must reach this share of the raw undici loop at 0 ms latency. */
export const rawRatioTarget = 0.8;
/** At non-zero latency the engine must reach this share of concurrency / latency. */
export const latencyBoundTarget = 0.95;
/** Peak RSS may grow at most this much from the small to the large memory run. */
export const memoryRatioTarget = 1.3;

const mebibytes = (bytes) => (bytes / 2 ** 20).toFixed(0);
const rate = (value) => Math.round(value).toLocaleString('en-US');
const met = (ok) => (ok ? 'yes' : '**NO**');

/**
 * Renders the results of `bench/engine.mjs` as the markdown tables of the report, with one row per
 * target saying plainly whether it was met.
 *
 * @example
 * process.stdout.write(engineReport(result));
 */
export function engineReport({ settings, machine, configurations, memory, withoutHttp, totalSeconds }) {
  const lines = [];
  lines.push(
    `Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB; ` +
      `1-minute load average ${machine.loadAtStart.toFixed(2)} at the start, ${machine.loadAtEnd.toFixed(2)} at the end ` +
      '(the bench itself keeps about two processes busy).',
    '',
    `Medians of ${settings.repeats} runs per configuration, each run in a fresh process against a fresh fake ` +
      'provider process. CPU s = user + system time of the client process; server CPU s = the fake ' +
      'provider process over the same run.',
    '',
    '| Latency | Concurrency | Units | Client | rows/s | CPU s | CPU µs/row | Peak RSS MiB | Server CPU s |',
    '|---:|---:|---:|---|---:|---:|---:|---:|---:|',
  );
  for (const entry of configurations) {
    for (const mode of ['raw', 'engine']) {
      const figures = entry[mode];
      lines.push(
        `| ${entry.latencyMs} ms | ${entry.concurrency} | ${rate(entry.units)} | ${mode === 'raw' ? 'raw undici Pool' : 'engine'} ` +
          `| ${rate(figures.rowsPerSecond)} | ${figures.cpuSeconds.toFixed(2)} ` +
          `| ${((figures.cpuSeconds / entry.units) * 1e6).toFixed(0)} | ${mebibytes(figures.peakRssBytes)} ` +
          `| ${figures.serverCpuSeconds === undefined ? '–' : figures.serverCpuSeconds.toFixed(2)} |`,
      );
    }
  }
  lines.push('', '| Check | Measured | Target | Met |', '|---|---:|---:|---|');
  for (const entry of configurations) {
    const { engine, raw } = entry;
    const cpuRatio = engine.cpuSeconds / raw.cpuSeconds;
    if (entry.latencyMs === 0) {
      const ratio = engine.rowsPerSecond / raw.rowsPerSecond;
      lines.push(
        `| 0 ms, C=${entry.concurrency}: engine / raw rows/s (CPU per row: ${cpuRatio.toFixed(2)}×) ` +
          `| ${ratio.toFixed(2)}× | ≥ ${rawRatioTarget}× | ${met(ratio >= rawRatioTarget)} |`,
      );
    } else {
      const bound = entry.concurrency / (entry.latencyMs / 1000);
      const share = engine.rowsPerSecond / bound;
      lines.push(
        `| ${entry.latencyMs} ms, C=${entry.concurrency}: engine rows/s vs C / latency = ${rate(bound)} ` +
          `(raw: ${((raw.rowsPerSecond / bound) * 100).toFixed(1)} %) ` +
          `| ${rate(engine.rowsPerSecond)} (${(share * 100).toFixed(1)} %) | ≥ ${rate(latencyBoundTarget * bound)} (95 %) ` +
          `| ${met(share >= latencyBoundTarget)} |`,
      );
    }
  }
  if (memory !== undefined) {
    const ratio = memory.large.peakRssBytes / memory.small.peakRssBytes;
    lines.push(
      `| 0 ms, C=${memory.concurrency}: engine peak RSS ${rate(memory.largeUnits)} / ${rate(memory.smallUnits)} units ` +
        `(${mebibytes(memory.large.peakRssBytes)} / ${mebibytes(memory.small.peakRssBytes)} MiB; ` +
        `${rate(memory.large.rowsPerSecond)} rows/s on the large run) ` +
        `| ${ratio.toFixed(2)}× | ≤ ${memoryRatioTarget}× | ${met(ratio <= memoryRatioTarget)} |`,
    );
  }
  if (withoutHttp.length > 0) {
    lines.push(
      '',
      'The engine alone, over an in-process provider that answers after the latency (no HTTP, no server), ' +
        'one run each:',
      '',
      '| Latency | Concurrency | Units | rows/s | % of C / latency | CPU s | CPU µs/row | Peak RSS MiB |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const entry of withoutHttp) {
      const bound = entry.latencyMs === 0 ? undefined : entry.concurrency / (entry.latencyMs / 1000);
      lines.push(
        `| ${entry.latencyMs} ms | ${entry.concurrency} | ${rate(entry.units)} | ${rate(entry.rowsPerSecond)} ` +
          `| ${bound === undefined ? '–' : `${((entry.rowsPerSecond / bound) * 100).toFixed(1)} %`} ` +
          `| ${entry.cpuSeconds.toFixed(2)} | ${((entry.cpuSeconds / entry.units) * 1e6).toFixed(0)} ` +
          `| ${mebibytes(entry.peakRssBytes)} |`,
      );
    }
  }
  lines.push('', `Runs per configuration (rows/s): ${runList(configurations)}`, '');
  lines.push(`Total bench time: ${totalSeconds.toFixed(0)} s.`, '');
  return `${lines.join('\n')}\n`;
}

function runList(configurations) {
  return configurations
    .flatMap((entry) =>
      ['raw', 'engine'].map(
        (mode) =>
          `${entry.latencyMs} ms C=${entry.concurrency} ${mode} ${entry[mode].runs.map((run) => rate(run.rowsPerSecond)).join(' / ')}`,
      ),
    )
    .join('; ');
}
