// Timing and resource figures for one benchmark process.

/**
 * Starts measuring wall time (`process.hrtime.bigint()`) and CPU time (`process.cpuUsage()`); the
 * returned function stops and reports them with the process's peak RSS so far.
 *
 * @example
 * const stop = startMeasurement();
 * await work();
 * const { seconds, cpuSeconds, peakRssBytes } = stop();
 */
export function startMeasurement() {
  const cpuAtStart = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  return () => {
    const elapsedNs = process.hrtime.bigint() - startedAt;
    const cpu = process.cpuUsage(cpuAtStart);
    return {
      seconds: Number(elapsedNs) / 1e9,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      // maxRSS is in kibibytes.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  };
}

/**
 * The median of a non-empty list of numbers (the mean of the middle two for an even count).
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
