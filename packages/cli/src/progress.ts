import type { RunProgress } from '@llmbatch/core';

/** Where progress goes: a redrawn status line on a terminal, plain periodic lines otherwise. */
export interface ProgressReporter {
  update(progress: RunProgress): void;
  stop(): void;
}

interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressReporterOptions {
  stream: ProgressStream;
  /** Units to do in this invocation, when known (from the estimate pass). */
  total: number | undefined;
  /** Units already done before this invocation (resume). */
  previouslyDone: number;
  /** Milliseconds between plain lines when not on a terminal. @default 5000 */
  plainIntervalMs?: number;
  /** Milliseconds between redraws on a terminal. @default 200 */
  ttyIntervalMs?: number;
}

/**
 * Creates the reporter for `llmbatch run`: a bar with done/total, rate, ETA, tokens, cost, errors and
 * breaker state on a terminal; a plain line every few seconds for CI logs.
 */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const tty = options.stream.isTTY === true;
  const interval = tty ? (options.ttyIntervalMs ?? 200) : (options.plainIntervalMs ?? 5000);
  let lastWrite = 0;
  let lastLength = 0;
  let latest: RunProgress | undefined;
  return {
    update(progress) {
      latest = progress;
      const now = Date.now();
      if (now - lastWrite < interval) return;
      lastWrite = now;
      const line = describe(
        progress,
        options.total,
        options.previouslyDone,
        tty ? barWidth(options.stream) : 0,
      );
      if (tty) {
        options.stream.write(`\r${line}${' '.repeat(Math.max(0, lastLength - line.length))}`);
        lastLength = line.length;
      } else {
        options.stream.write(`${line}\n`);
      }
    },
    stop() {
      if (tty && latest !== undefined) {
        const line = describe(latest, options.total, options.previouslyDone, barWidth(options.stream));
        options.stream.write(`\r${line}${' '.repeat(Math.max(0, lastLength - line.length))}\n`);
      }
    },
  };
}

function barWidth(stream: ProgressStream): number {
  return Math.max(10, Math.min(30, (stream.columns ?? 80) - 90));
}

/** One progress line, e.g. `[####......] 412/1000 41% 35.2/s ETA 17s tokens 51k cost $0.0123 errors 2`. */
export function describe(
  progress: RunProgress,
  total: number | undefined,
  previouslyDone: number,
  width: number,
): string {
  const done = progress.done + progress.skipped;
  const seconds = Math.max(progress.elapsedMs / 1000, 0.001);
  const rate = progress.done / seconds;
  const parts: string[] = [];
  if (total !== undefined && total > 0) {
    const fraction = Math.min(1, done / total);
    if (width > 0) {
      const filled = Math.round(fraction * width);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
    }
    parts.push(`${done}/${total}`, `${Math.floor(fraction * 100)}%`);
  } else {
    parts.push(`${done} done`);
  }
  parts.push(`${rate.toFixed(1)}/s`);
  if (total !== undefined && rate > 0 && done < total)
    parts.push(`ETA ${formatDuration((total - done) / rate)}`);
  parts.push(`tokens ${formatCount(progress.usage.inputTokens + progress.usage.outputTokens)}`);
  parts.push(`cost ${progress.cost === null ? 'unknown' : `$${progress.cost.toFixed(4)}`}`);
  parts.push(`errors ${progress.failed}`);
  if (progress.breaker !== 'closed') parts.push(`breaker ${progress.breaker}`);
  if (previouslyDone > 0) parts.push(`(resumed after ${previouslyDone})`);
  return parts.join(' ');
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${Math.ceil(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}

function formatCount(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(1)}k`;
  return `${(count / 1_000_000).toFixed(2)}M`;
}
