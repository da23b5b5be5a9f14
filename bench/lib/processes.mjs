// Child processes of the benchmark: the fake provider server and one worker per configuration.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fakeProviderScript = fileURLToPath(new URL('../fake-provider.mjs', import.meta.url));

/**
 * Starts `bench/fake-provider.mjs` in its own process and waits for its URL. `stop()` sends SIGTERM and
 * resolves with the counters the server prints on exit.
 *
 * @example
 * const server = await startFakeProviderProcess({ latencyMs: 50 });
 * // ... requests to `${server.url}/v1/chat/completions`
 * const stats = await server.stop();
 */
export async function startFakeProviderProcess({ latencyMs }) {
  if (!existsSync(fakeProviderScript)) throw new Error(`missing ${fakeProviderScript}`);
  const child = spawn(
    process.execPath,
    [fakeProviderScript, '--port', '0', '--host', '127.0.0.1', '--latency', String(latencyMs)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const firstLine = await Promise.race([
    once(lines, 'line').then(([line]) => line),
    exited.then(([code]) => {
      throw new Error(`fake provider exited with ${code} before listening: ${stderr.trim()}`);
    }),
  ]);
  lines.close();
  const { url } = JSON.parse(firstLine);
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      const last = stderr.trim().split('\n').at(-1) ?? '';
      try {
        return JSON.parse(last);
      } catch {
        return { unparsed: last };
      }
    },
  };
}

/**
 * Runs `node [nodeArgs] script [args]` and resolves with the JSON object on the last line of its stdout.
 * Its stderr passes through; a non-zero exit rejects. `onSpawn` sees the child first (to track it).
 *
 * @example
 * const figures = await runJsonChild('bench/lib/engine-worker.mjs', ['--mode', 'raw'], []);
 */
export async function runJsonChild(script, args, nodeArgs = [], { onSpawn } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onSpawn?.(child);
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const [code, signal] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${code ?? signal}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
}

/**
 * CPU seconds (user + system) a process has used so far, read from /proc; `undefined` elsewhere.
 *
 * @example
 * const before = await processCpuSeconds(server.pid);
 */
export async function processCpuSeconds(pid) {
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100;
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}
