// Processes of the server benchmark: `llmbatch-server` api / worker / all, run from the built package,
// each watched through its JSON log lines, and every one of them killed when the bench exits or fails.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './processes.mjs';

/** The built bin of `@llmbatch/server` (`pnpm run -s build` first). */
export const serverBin = fileURLToPath(
  new URL('../../packages/server-reference/dist/cli.js', import.meta.url),
);

/** Every child still running, so an exit or a failure anywhere kills them all. */
const running = new Set();

function killAll() {
  for (const entry of running) entry.kill();
  running.clear();
}

/** Async clean-ups (dropping a database) to try when the bench is interrupted. */
const cleanups = new Set();

let guarded = false;

/**
 * Makes sure no child outlives the bench: on exit, on SIGINT / SIGTERM and on an uncaught error every
 * child started through this module is killed (SIGKILL). On SIGINT / SIGTERM the clean-ups registered
 * with {@link onInterrupt} run too (for at most 5 s) before the process exits 130. Safe to call more
 * than once.
 *
 * @example
 * guardChildren();
 * const api = await startServerProcess({ command: 'api', environment, label: 'api' });
 */
export function guardChildren() {
  if (guarded) return;
  guarded = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      // Requests to the killed children now fail; the clean-ups below still have to finish.
      const ignore = () => {};
      process.on('uncaughtException', ignore);
      process.on('unhandledRejection', ignore);
      killAll();
      const pending = [...cleanups].map((cleanup) => Promise.resolve().then(cleanup));
      cleanups.clear();
      const deadline = new Promise((resolve) => setTimeout(resolve, 5000).unref());
      Promise.race([Promise.allSettled(pending), deadline]).then(() => process.exit(130));
    });
  }
}

/**
 * Registers an async clean-up to run if the bench is interrupted (SIGINT / SIGTERM) after the
 * children are killed; returns the function that unregisters it once done normally.
 *
 * @example
 * const database = await createBenchDatabase(url);
 * const forget = onInterrupt(() => database.drop());
 * // ... run ...
 * await database.drop();
 * forget();
 */
export function onInterrupt(cleanup) {
  guardChildren();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/**
 * Registers a child started elsewhere (the fake provider, the engine worker) so it is killed with the
 * others; it leaves the set when it exits.
 *
 * @example
 * trackChild(spawn(process.execPath, ['script.mjs']));
 */
export function trackChild(child) {
  guardChildren();
  const entry = {
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  running.add(entry);
  child.once('exit', () => running.delete(entry));
  return child;
}

/**
 * Registers a process known only by its pid (the fake provider of `processes.mjs`) so it is killed
 * with the others; call the returned function once it has stopped.
 *
 * @example
 * const fake = await startFakeProviderProcess({ latencyMs: 0 });
 * const untrack = trackPid(fake.pid);
 * await fake.stop();
 * untrack();
 */
export function trackPid(pid) {
  guardChildren();
  const entry = {
    kill: () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
  running.add(entry);
  return () => running.delete(entry);
}

/**
 * Runs `node script ...args` (tracked, killed with the others) and resolves with the JSON object on
 * the last line of its stdout; its stderr passes through; a non-zero exit rejects.
 *
 * @example
 * const figures = await runTrackedJsonChild('bench/lib/engine-worker.mjs', ['--mode', 'engine', ...]);
 */
export function runTrackedJsonChild(script, args) {
  return runJsonChild(script, args, [], { onSpawn: trackChild });
}

/**
 * Starts `node packages/server-reference/dist/cli.js <command>` with exactly `environment` (plus PATH),
 * waits until its log says it is ready (`llmbatch server listening` for api / all, then `worker started`
 * for worker / all), and returns its URL (api / all), pid and a `stop()` that sends SIGTERM and
 * resolves with the exit code (SIGKILL after `stopTimeoutMs`).
 *
 * @example
 * const api = await startServerProcess({ command: 'api', environment: { DATABASE_URL, PORT: '0' }, label: 'api' });
 * await fetch(`${api.url}/healthz`);
 * await api.stop();
 */
export async function startServerProcess({ command, environment, label, readyTimeoutMs = 120_000 }) {
  if (!existsSync(serverBin)) throw new Error(`missing ${serverBin}; run \`pnpm run -s build\` first`);
  const child = trackChild(
    spawn(process.execPath, [serverBin, command], {
      env: { PATH: process.env.PATH ?? '', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tail = [];
  const remember = (line) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
  };
  let url;
  let listening = command === 'worker';
  let workerStarted = command === 'api';
  let signalReady;
  const ready = new Promise((resolve) => {
    signalReady = resolve;
  });
  const onLine = (line) => {
    remember(line);
    if (!line.startsWith('{')) return;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (entry.msg === 'llmbatch server listening') {
      url = entry.url;
      listening = true;
    }
    if (entry.msg === 'worker started') workerStarted = true;
    if (listening && workerStarted) signalReady();
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = once(child, 'exit');
  let timer;
  try {
    await Promise.race([
      ready,
      exited.then(([code, signal]) => {
        throw new Error(`${label} exited with ${code ?? signal} before it was ready:\n${tail.join('\n')}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${label} not ready after ${readyTimeoutMs} ms:\n${tail.join('\n')}`)),
          readyTimeoutMs,
        );
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {
    label,
    command,
    url,
    pid: child.pid,
    /** The last log lines, for error messages. */
    tail: () => tail.join('\n'),
    /** True while the process runs. */
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(stopTimeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const [code, signal] = await exited;
      clearTimeout(killer);
      return code ?? signal;
    },
  };
}

/**
 * Peak resident set size of a running process in bytes (`VmHWM` in /proc/<pid>/status); `undefined`
 * where /proc is missing or the process is gone.
 *
 * @example
 * const peak = await peakRssBytes(worker.pid);
 */
export async function peakRssBytes(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Busy and total jiffies of the whole machine so far (/proc/stat), to tell whether the CPUs were
 * saturated during a run; `undefined` without /proc.
 *
 * @example
 * const before = await machineCpuTicks();
 * // ... run ...
 * const busyShare = machineBusyShare(before, await machineCpuTicks());
 */
export async function machineCpuTicks() {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    // idle + iowait
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * The share (0–1) of all CPUs that was busy between two {@link machineCpuTicks} readings.
 *
 * @example
 * machineBusyShare({ busy: 0, total: 0 }, { busy: 150, total: 200 }); // 0.75
 */
export function machineBusyShare(before, after) {
  if (before === undefined || after === undefined || after.total === before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}
