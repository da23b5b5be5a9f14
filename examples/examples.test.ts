import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

async function example(name: string): Promise<string> {
  const env = { ...process.env };
  delete env.OPENAI_API_KEY;
  delete env.ANTHROPIC_API_KEY;
  const { stdout } = await run(tsx, [name], { cwd: here, env, timeout: 60_000 });
  return stdout;
}

describe('examples run and print what their docs say', () => {
  it('embed-basic.ts labels three reviews in order and prints the summary', async () => {
    const lines = (await example('embed-basic.ts')).trim().split('\n');
    expect(lines.slice(0, 3).map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      'r1 ok',
      'r2 ok',
      'r3 ok',
    ]);
    expect(lines[0]).toContain('"echo":"Return {\\"sentiment\\"');
    expect(lines[3]).toMatch(/^done 3, ok 3, failed 0, tokens \d+\+\d+, cost \$0\.0000\d+$/);
  });

  it('structured-extraction.ts estimates, then extracts typed leads, repairing one locally and re-asking for another', async () => {
    const lines = (await example('structured-extraction.ts')).trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^estimate 3 units, \d+ input tokens \(o200k_base\), up to \$0\.\d{6}$/);
    expect(lines.slice(1, 4)).toEqual([
      'n1 ok 1 attempt {"name":"Ada Lovelace","company":"Analytical Engines Ltd","seats":12}',
      'n2 ok 2 attempts {"name":"Grace Hopper","company":"Navy Labs","seats":40}',
      'n3 ok 1 attempt {"name":"Alan Turing","company":"Bletchley Park","seats":3} (extracted JSON from a fenced code block; converted values to the schema\'s types: /seats: "3" → 3)',
    ]);
    expect(lines[4]).toMatch(/^done 3, ok 3, failed 0, cost \$0\.0000\d\d of budget \$0\.01$/);
  });

  it('sdk-quickstart.ts drives an in-process server through the SDK: sign-up to provider keys and a typed error', async () => {
    const lines = (await example('sdk-quickstart.ts')).trim().split('\n');
    expect(lines).toEqual([
      'signed up, email verified: true',
      'logged in; org "Analytical Engines" (owner)',
      'api token "quickstart" (admin) lbk_…',
      'provider keys: anthropic main (anthropic), openai main (openai)',
      'NotFoundError: not-found (request id present)',
    ]);
  });

  it('demo.mjs (the README main job) labels every row of examples/data/*.csv through the llmbatch CLI', async () => {
    const env = { ...process.env };
    delete env.OPENAI_API_KEY;
    const { stdout, stderr } = await run(process.execPath, ['demo.mjs'], {
      cwd: here,
      env,
      timeout: 120_000,
    });
    expect(stdout).toContain('Using a local fake OpenAI-compatible provider');
    expect(stdout).toMatch(/^reviews\.csv: 40 results in .*reviews\.jsonl; first 5:$/m);
    expect(stdout).toContain('  R003  ok  {"sentiment":"negative","summary":"negative review"}');
    expect(stdout).toMatch(/^support-tickets\.csv: 12 results in .*support-tickets\.jsonl; first 5:$/m);
    expect(stdout).toContain('  T-1001  ok  {"queue":"billing","urgent":true}');
    expect(stderr).toMatch(/^Done: 40 ok, 0 failed in \d+\.\ds$/m);
    expect(stderr).toMatch(/^Done: 12 ok, 0 failed in \d+\.\ds$/m);
  });
});
