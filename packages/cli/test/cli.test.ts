import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeProvider, startFakeProvider } from '@llmbatch/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, readJsonl, start, workspace } from './helpers.js';

let server: FakeProvider | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const key = { OPENAI_API_KEY: 'sk-cli-test-0123456789' };

async function fake(options: Parameters<typeof startFakeProvider>[0] = {}) {
  server = await startFakeProvider(options);
  return server;
}

function runArgs(url: string, extra: string[] = []) {
  return [
    'run',
    'data.csv',
    '-p',
    'prompt.md',
    '-m',
    'openai:gpt-4o-mini',
    '--base-url',
    `${url}/v1`,
    '-o',
    'out.jsonl',
    '-k',
    'id',
    ...extra,
  ];
}

function keysOf(rows: Array<Record<string, unknown>>) {
  return rows.map((row) => row.key);
}

const expectedKeys = (count: number) => Array.from({ length: count }, (_, index) => `id${index}`);

describe('llmbatch run', () => {
  it('writes every row in input order with values, and prints a summary on stderr (no TTY)', async () => {
    const dir = await workspace(25);
    const provider = await fake({ latencyMs: (request) => (request.n % 5) * 4 });
    const result = await cli(runArgs(provider.url, ['-c', '4']), dir, key);
    expect(result.code).toBe(0);
    const rows = await readJsonl(join(dir, 'out.jsonl'));
    expect(keysOf(rows)).toEqual(expectedKeys(25));
    expect(rows[3]).toMatchObject({
      key: 'id3',
      index: 3,
      status: 'ok',
      value: { echo: 'Label this: "row 3, with a comma"' },
    });
    expect(result.stderr).toMatch(/^Done: 25 ok, 0 failed in \d+\.\ds$/m);
    // 225 input tokens × $0.15/M + 375 output tokens × $0.60/M (gpt-4o-mini) = $0.00025875
    expect(result.stderr).toContain('Tokens: 225 in (0 cached), 375 out; cost $0.000259; retries 0\n');
    expect(result.stdout).toBe('');
    const state = JSON.parse(await readFile(join(dir, 'out.jsonl.llmbatch-state.json'), 'utf8'));
    expect(state).toMatchObject({
      status: 'completed',
      settings: { model: 'openai:gpt-4o-mini', prompt: 'Label this: {{text}}', key: 'id' },
    });
    expect(JSON.stringify(state)).not.toContain(key.OPENAI_API_KEY);
  });

  it('prints a machine-readable summary with --json', async () => {
    const dir = await workspace(3);
    const provider = await fake();
    const result = await cli(runArgs(provider.url, ['--json']), dir, key);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({
      output: 'out.jsonl',
      status: 'completed',
      exitCode: 0,
      summary: { succeeded: 3, failed: 0 },
    });
  });

  it('exits 0 with unit errors summarised, and 1 with --fail-on-unit-error', async () => {
    const dir = await workspace(4);
    const provider = await fake({
      respond: (request) =>
        request.userText.includes('row 2') ? { status: 400, content: 'bad row' } : undefined,
    });
    const first = await cli(runArgs(provider.url), dir, key);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^Done: 3 ok, 1 failed/m);
    const second = await cli(runArgs(provider.url, ['--overwrite', '--fail-on-unit-error']), dir, key);
    expect(second.code).toBe(1);
  });
});

describe('providers', () => {
  it('runs against an Anthropic Messages endpoint with ANTHROPIC_API_KEY', async () => {
    const dir = await workspace(3);
    const provider = await fake();
    const result = await cli(
      [
        'run',
        'data.csv',
        '-p',
        'prompt.md',
        '-m',
        'anthropic:claude-haiku-4-5',
        '--base-url',
        provider.url,
        '-o',
        'out.jsonl',
        '-k',
        'id',
        '--max-tokens',
        '64',
      ],
      dir,
      { ANTHROPIC_API_KEY: 'sk-ant-cli-test-0123456789' },
    );
    expect(result.code).toBe(0);
    const rows = await readJsonl(join(dir, 'out.jsonl'));
    expect(keysOf(rows)).toEqual(expectedKeys(3));
    expect(rows[1]).toMatchObject({ status: 'ok', value: { echo: 'Label this: "row 1, with a comma"' } });
    expect(provider.log[0]).toMatchObject({
      api: 'anthropic',
      body: { model: 'claude-haiku-4-5', max_tokens: 64 },
    });
    expect(provider.log[0]?.headers['x-api-key']).not.toContain('sk-ant-cli-test');
  });
});

describe('resume', () => {
  it('Ctrl-C stops within seconds with exit 130; resume completes every row exactly once', async () => {
    const dir = await workspace(200);
    const provider = await fake({ latencyMs: 40 });
    const running = start(runArgs(provider.url, ['-c', '8']), dir, key);
    await expect.poll(() => provider.stats.answered, { timeout: 20_000 }).toBeGreaterThan(30);
    running.child.kill('SIGINT');
    const stoppedAt = Date.now();
    const { code } = await running.exit;
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(code).toBe(130);
    expect(running.stderr()).toContain('Resume with: llmbatch resume out.jsonl');
    const partial = await readJsonl(join(dir, 'out.jsonl'));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(200);
    expect(keysOf(partial)).toEqual(expectedKeys(partial.length));

    const resumed = await cli(['resume', 'out.jsonl'], dir, key);
    expect(resumed.code).toBe(0);
    const rows = await readJsonl(join(dir, 'out.jsonl'));
    expect(keysOf(rows)).toEqual(expectedKeys(200));
    const perRow = new Map<string, number>();
    for (const entry of provider.log) perRow.set(entry.userText, (perRow.get(entry.userText) ?? 0) + 1);
    expect(provider.stats.received).toBeLessThanOrEqual(200 + 8);
    expect(Math.max(...perRow.values())).toBeLessThanOrEqual(2);
  });

  it('kill -9 at random points, then resume: every row exactly once (5 rounds)', async () => {
    const dir = await workspace(150);
    const provider = await fake({ latencyMs: 15 });
    for (let round = 0; round < 5; round++) {
      const running = start(runArgs(provider.url, ['-c', '6']), dir, key);
      const target = provider.stats.answered + 5 + Math.floor(Math.random() * 20);
      await expect
        .poll(() => provider.stats.answered >= target || running.child.exitCode !== null, { timeout: 20_000 })
        .toBe(true);
      running.child.kill('SIGKILL');
      await running.exit;
    }
    const resumed = await cli(['resume', 'out.jsonl'], dir, key);
    expect(resumed.code).toBe(0);
    const rows = await readJsonl(join(dir, 'out.jsonl'));
    expect(keysOf(rows)).toEqual(expectedKeys(150));
  });

  it('running again with the same output resumes; a changed prompt is refused unless --force', async () => {
    const dir = await workspace(10);
    const provider = await fake();
    expect((await cli(runArgs(provider.url), dir, key)).code).toBe(0);
    const again = await cli(runArgs(provider.url), dir, key);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('10 already done');
    expect(provider.stats.received).toBe(10);

    await writeFile(join(dir, 'prompt.md'), 'A different prompt: {{text}}');
    const refused = await cli(runArgs(provider.url), dir, key);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'llmbatch: refusing to resume out.jsonl: prompt differ from the run that wrote it.',
    );
    expect(provider.stats.received).toBe(10);
  });

  it('retry-failed re-runs only the failed rows and replaces their lines in place', async () => {
    const dir = await workspace(8);
    let failing = true;
    const provider = await fake({
      respond: (request) =>
        failing && /row [25],/.test(request.userText) ? { status: 400, content: 'flaky' } : undefined,
    });
    expect((await cli(runArgs(provider.url), dir, key)).code).toBe(0);
    const before = await readJsonl(join(dir, 'out.jsonl'));
    expect(before.map((row) => row.status)).toEqual(['ok', 'ok', 'error', 'ok', 'ok', 'error', 'ok', 'ok']);
    failing = false;
    const retried = await cli(['retry-failed', 'out.jsonl'], dir, key);
    expect(retried.code).toBe(0);
    expect(retried.stderr).toContain('Retrying 2 failed units of out.jsonl');
    const after = await readJsonl(join(dir, 'out.jsonl'));
    expect(keysOf(after)).toEqual(expectedKeys(8));
    expect(after.map((row) => row.status)).toEqual(Array(8).fill('ok'));
    expect(after[0]).toEqual(before[0]);
    expect(provider.stats.received).toBe(10);
  });
});

describe('llmbatch estimate', () => {
  it('counts units and tokens and prints the cost range without sending anything', async () => {
    const dir = await workspace(30);
    const result = await cli(
      [
        'estimate',
        'data.csv',
        '-p',
        'prompt.md',
        '-m',
        'openai:gpt-4o-mini',
        '--max-tokens',
        '100',
        '--json',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    const estimate = JSON.parse(result.stdout);
    expect(estimate).toMatchObject({
      units: 30,
      model: 'openai:gpt-4o-mini',
      tokenizer: 'o200k_base',
      overContextWindow: 0,
    });
    expect(estimate.outputTokens.high).toBe(3000);
    expect(estimate.inputTokens).toBeGreaterThan(30 * 5);
    expect(estimate.cost.low).toBeLessThan(estimate.cost.expected);
    expect(estimate.cost.expected).toBeLessThanOrEqual(estimate.cost.high);
    // high = input tokens × $0.15/M + 3000 output tokens × $0.60/M
    expect(estimate.cost.high).toBeCloseTo((estimate.inputTokens * 0.15 + 3000 * 0.6) / 1e6, 12);
  });

  it('prints a human-readable estimate', async () => {
    const dir = await workspace(3);
    const result = await cli(
      ['estimate', 'data.csv', '-p', 'prompt.md', '-m', 'openai:gpt-4o-mini', '--max-tokens', '50'],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Estimate for 3 units with openai:gpt-4o-mini \(prices [\d-]+, tokens by o200k_base\):$/m,
    );
    expect(result.stdout).toMatch(/^ {2}output tokens {2}low \d+ {2}expected \d+ {2}high 150$/m);
    expect(result.stdout).toMatch(/^ {2}over context {3}0 units$/m);
  });
});

describe('not on a terminal', () => {
  it('never asks for confirmation, even above the threshold', async () => {
    const dir = await workspace(5);
    const provider = await fake();
    const result = await cli(runArgs(provider.url, ['--confirm-above', '0']), dir, key);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('Continue?');
    expect(provider.stats.received).toBe(5);
  });
});

describe('errors', () => {
  it('missing input file → exit 2 naming it', async () => {
    const dir = await workspace(1);
    const provider = await fake();
    const result = await cli(
      [
        'run',
        'nope.csv',
        '-p',
        'prompt.md',
        '-m',
        'openai:gpt-4o-mini',
        '--base-url',
        `${provider.url}/v1`,
        '-o',
        'o.jsonl',
      ],
      dir,
      key,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^llmbatch: .*nope\.csv/m);
  });

  it('a directory as input → exit 2', async () => {
    const dir = await workspace(1);
    const result = await cli(
      ['run', '.', '-p', 'prompt.md', '-m', 'mock:echo', '-o', 'o.jsonl', '--format', 'jsonl'],
      dir,
    );
    expect(result.code).toBe(2);
  });

  it('bad schema → exit 2 naming the file', async () => {
    const dir = await workspace(1);
    await writeFile(join(dir, 'schema.json'), '{ not json');
    const result = await cli(
      ['run', 'data.csv', '-p', 'prompt.md', '-m', 'mock:echo', '--schema', 'schema.json', '-o', 'o.jsonl'],
      dir,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^llmbatch: schema file schema\.json is not valid JSON/m);
  });

  it('unknown model → exit 2 listing the known ones', async () => {
    const dir = await workspace(1);
    const result = await cli(
      ['run', 'data.csv', '-p', 'prompt.md', '-m', 'openai:gpt-9', '-o', 'o.jsonl'],
      dir,
      key,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'llmbatch: unknown model "openai:gpt-9"; known openai models: gpt-4o-mini, gpt-4o, gpt-4.1, gpt-4.1-mini,',
    );
  });

  it('missing API key → exit 2 naming the environment variable', async () => {
    const dir = await workspace(1);
    const result = await cli(
      ['run', 'data.csv', '-p', 'prompt.md', '-m', 'openai:gpt-4o-mini', '-o', 'o.jsonl'],
      dir,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'llmbatch: missing API key: set the environment variable OPENAI_API_KEY (or name another with --api-key-env)\n',
    );
  });

  it('a prompt file that does not exist → exit 2 (never sent as literal text)', async () => {
    const dir = await workspace(1);
    const result = await cli(['run', 'data.csv', '-p', 'promt.md', '-m', 'mock:echo', '-o', 'o.jsonl'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('llmbatch: prompt file not found: promt.md\n');
  });

  it('unknown flag → exit 2 with usage help', async () => {
    const dir = await workspace(1);
    const result = await cli(['run', 'data.csv', '--bogus'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown option '--bogus'");
  });
});

describe('config file precedence: defaults < llmbatch.config.json < flags', () => {
  it('uses the config file, and a flag overrides it', async () => {
    const dir = await workspace(3);
    const provider = await fake();
    await writeFile(
      join(dir, 'llmbatch.config.json'),
      JSON.stringify({
        model: 'openai:gpt-4o',
        prompt: 'prompt.md',
        concurrency: 3,
        retries: 1,
        baseUrl: `${provider.url}/v1`,
      }),
    );
    const result = await cli(['run', 'data.csv', '-o', 'out.jsonl', '-m', 'openai:gpt-4o-mini'], dir, key);
    expect(result.code).toBe(0);
    const state = JSON.parse(await readFile(join(dir, 'out.jsonl.llmbatch-state.json'), 'utf8'));
    expect(state.settings.model).toBe('openai:gpt-4o-mini');
    expect(state.options).toMatchObject({ concurrency: 3, retries: 1, timeoutSeconds: 60 });
    expect(provider.log[0]?.body).toMatchObject({ model: 'gpt-4o-mini' });
  });

  it('rejects an invalid config file naming the field', async () => {
    const dir = await workspace(1);
    await writeFile(join(dir, 'llmbatch.config.json'), JSON.stringify({ concurrency: 'lots' }));
    const result = await cli(['run', 'data.csv', '-o', 'out.jsonl'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('llmbatch: invalid config file');
    expect(result.stderr).toContain('concurrency: Invalid input: expected number, received string');
  });
});
