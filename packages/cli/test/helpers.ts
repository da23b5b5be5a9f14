import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built command line, as users run it. */
export const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `llmbatch ...args` in `cwd` with a clean environment plus `env`. */
export function start(args: string[], cwd: string, env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  child.stdin?.end();
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Runs `llmbatch ...args` to the end. */
export async function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const spawned = start(args, cwd, env);
  const { code } = await spawned.exit;
  return { code, stdout: spawned.stdout(), stderr: spawned.stderr() };
}

/** A temp directory with a CSV of `rows` rows (`id,text`). */
export async function workspace(rows: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'llmbatch-cli-'));
  const lines = ['id,text'];
  for (let index = 0; index < rows; index++) lines.push(`id${index},"row ${index}, with a comma"`);
  await writeFile(join(dir, 'data.csv'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'prompt.md'), 'Label this: {{text}}');
  return dir;
}

/** Parsed lines of a JSONL output. */
export async function readJsonl(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
