// The README's "main job": runs the llmbatch command line over every examples/data/*.csv.
// Without OPENAI_API_KEY it starts a local OpenAI-compatible fake provider (answers are made up by a
// keyword heuristic, so the run is real but free); with OPENAI_API_KEY it calls OpenAI for real.
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeProvider } from '@llmbatch/core/testing';

const here = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);
const cliBin = join(require.resolve('llmbatch/package.json'), '..', 'dist', 'bin.js');
const outDir = join(here, '..', '.demo-out');

/** Which prompt and key each dataset uses; any other CSV gets a generic summary prompt. */
const jobs = {
  'reviews.csv': { prompt: 'prompts/review-sentiment.md', key: 'id' },
  'support-tickets.csv': { prompt: 'prompts/ticket-triage.md', key: 'ticket' },
};

function fakeAnswer(request) {
  const text = request.userText.toLowerCase();
  if (text.includes('"sentiment"')) {
    const review = text.slice(text.indexOf('review:'));
    const sentiment = /broke|damaged|disappoint|waste|do not buy|loose|returning/.test(review)
      ? 'negative'
      : /fine|ok|average|nothing special|not sure/.test(review)
        ? 'neutral'
        : 'positive';
    return {
      content: `\`\`\`json\n${JSON.stringify({ sentiment, summary: `${sentiment} review` })}\n\`\`\``,
    };
  }
  if (text.includes('"queue"')) {
    const queue = /charged|refund|invoice|vat/.test(text)
      ? 'billing'
      : /crash|blank|does nothing|stopped/.test(text)
        ? 'bug'
        : /cancel|user|email/.test(text)
          ? 'account'
          : 'how-to';
    return { content: JSON.stringify({ queue, urgent: /twice|crash|blank|refund/.test(text) }) };
  }
  return undefined;
}

const apiKey = process.env.OPENAI_API_KEY;
const fake = apiKey ? undefined : await startFakeProvider({ latencyMs: 30, respond: fakeAnswer });
console.log(
  fake
    ? `Using a local fake OpenAI-compatible provider at ${fake.url} (set OPENAI_API_KEY to use OpenAI).\n`
    : 'Using OpenAI with OPENAI_API_KEY.\n',
);

await mkdir(outDir, { recursive: true });
let failed = false;
for (const file of (await readdir(join(here, 'data'))).filter((name) => name.endsWith('.csv')).sort()) {
  const job = jobs[file] ?? {
    prompt: 'Summarise this record in one sentence, as JSON {"summary": ...}: {{.}}',
  };
  const output = join(outDir, `${basename(file, '.csv')}.jsonl`);
  const args = [
    cliBin,
    'run',
    join('data', file),
    '-p',
    job.prompt,
    '-m',
    'openai:gpt-4o-mini',
    '-o',
    output,
    '--overwrite',
    '-c',
    '8',
  ];
  if (job.key) args.push('-k', job.key);
  if (fake) args.push('--base-url', `${fake.url}/v1`);
  console.log(`$ llmbatch ${args.slice(1).join(' ')}`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: here,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, OPENAI_API_KEY: apiKey ?? 'demo-key-not-used' },
    });
    child.on('close', resolve);
  });
  if (code !== 0) failed = true;
  const lines = (await readFile(output, 'utf8')).trim().split('\n');
  console.log(`\n${file}: ${lines.length} results in ${output}; first 5:`);
  for (const line of lines.slice(0, 5)) {
    const result = JSON.parse(line);
    console.log(`  ${result.key}  ${result.status}  ${JSON.stringify(result.value ?? result.error)}`);
  }
  console.log('');
}
await fake?.close();
process.exitCode = failed ? 1 : 0;
