import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package folder (children run from here so `--import tsx` resolves). */
export const packageDirectory = fileURLToPath(new URL('../../', import.meta.url));

/** A child process running TypeScript through tsx, with its output collected. */
export interface Child {
  process: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** Resolves once the output contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
}

/** Starts `node --import tsx <script> ...args` with exactly `environment` (plus PATH). */
export function startChild(script: string, args: string[], environment: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: packageDirectory,
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    process: child,
    output: () => output,
    exited,
    waitFor(text, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = typeof text === 'string' ? output.includes(text) : text.test(output);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(output);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`Timed out waiting for ${String(text)}; output so far:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs a child to completion. */
export async function runChild(
  script: string,
  args: string[],
  environment: Record<string, string>,
): Promise<{ code: number | string; output: string }> {
  const child = startChild(script, args, environment);
  const code = await child.exited;
  return { code, output: child.output() };
}
