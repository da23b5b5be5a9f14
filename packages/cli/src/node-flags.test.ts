import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planNodeFlags, tunedNodeFlags } from './node-flags.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

describe('planNodeFlags', () => {
  it('restarts with every tuned flag when Node was given none of them', () => {
    expect(planNodeFlags({ env: {}, execArgv: [], canRestart: true })).toEqual({
      restartWith: [...tunedNodeFlags],
      setNow: [],
    });
  });

  it('never overrides a flag given on the command line or in NODE_OPTIONS, in either spelling', () => {
    const plan = planNodeFlags({
      env: { NODE_OPTIONS: '--max-old-space-size=4096 --max_semi_space_size=32' },
      execArgv: ['--allocation-site-pretenuring'],
      canRestart: true,
    });
    expect(plan).toEqual({ restartWith: ['--heap-growing-percent=50'], setNow: [] });
  });

  it('carries on without restarting once the flags are there (no loop)', () => {
    expect(planNodeFlags({ env: {}, execArgv: [...tunedNodeFlags], canRestart: true })).toEqual({
      restartWith: undefined,
      setNow: [],
    });
  });

  it('takes LLMBATCH_NODE_FLAGS instead, and an empty value means Node defaults', () => {
    expect(
      planNodeFlags({
        env: { LLMBATCH_NODE_FLAGS: ' --max-semi-space-size=32 ' },
        execArgv: [],
        canRestart: true,
      }),
    ).toEqual({ restartWith: ['--max-semi-space-size=32'], setNow: [] });
    expect(planNodeFlags({ env: { LLMBATCH_NODE_FLAGS: '' }, execArgv: [], canRestart: true })).toEqual({
      restartWith: undefined,
      setNow: [],
    });
  });

  it('sets only the flags V8 accepts at run time when the process cannot restart', () => {
    expect(planNodeFlags({ env: {}, execArgv: [], canRestart: false })).toEqual({
      restartWith: undefined,
      setNow: ['--no-allocation-site-pretenuring', '--heap-growing-percent=50'],
    });
  });
});

// The restart keeps the process (same id, open stdin); /proc shows the command line it runs with now.
describe.runIf(process.platform === 'linux' && existsSync('/proc/self/cmdline'))('the llmbatch bin', () => {
  const commandLineWhileRunning = async (env: Record<string, string>) => {
    const child = spawn(
      process.execPath,
      [bin, 'run', '-', '-p', '{{text}}', '-m', 'mock:echo', '-o', '-', '--quiet'],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stdin.write('{"text":"first"}\n');
    // The run has started once the first result is out; stdin is still open, so the process waits.
    await expect.poll(() => stdout.includes('first'), { timeout: 10_000 }).toBe(true);
    const commandLine = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0');
    const environment = (await readFile(`/proc/${child.pid}/environ`, 'utf8')).split('\0');
    child.stdin.end('{"text":"second"}\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    return { commandLine, environment, code, lines: stdout.trim().split('\n').length };
  };

  it('runs in the same process with its tuned V8 flags and malloc arenas', async () => {
    const { commandLine, environment, code, lines } = await commandLineWhileRunning({});
    expect(code).toBe(0);
    expect(lines).toBe(2);
    expect(commandLine.slice(1, 1 + tunedNodeFlags.length)).toEqual([...tunedNodeFlags]);
    expect(commandLine).toContain(bin);
    expect(environment).toContain('MALLOC_ARENA_MAX=2');
    expect(environment).toContain('MALLOC_MMAP_THRESHOLD_=32768');
  });

  it('keeps a MALLOC_ARENA_MAX the user set', async () => {
    const { environment, code } = await commandLineWhileRunning({ MALLOC_ARENA_MAX: '4' });
    expect(code).toBe(0);
    expect(environment).toContain('MALLOC_ARENA_MAX=4');
    expect(environment).not.toContain('MALLOC_ARENA_MAX=2');
    // The other tuned variable is still added.
    expect(environment).toContain('MALLOC_MMAP_THRESHOLD_=32768');
  });

  it('runs with Node defaults when LLMBATCH_NODE_FLAGS is empty', async () => {
    const { commandLine, code } = await commandLineWhileRunning({ LLMBATCH_NODE_FLAGS: '' });
    expect(code).toBe(0);
    expect(commandLine.slice(1, 2)).toEqual([bin]);
  });
});
