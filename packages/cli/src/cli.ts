import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { executeEstimate } from './commands/estimate.js';
import { executeRun, type RunFlags } from './commands/execute-run.js';
import { executeResume } from './commands/resume.js';
import { executeRetryFailed } from './commands/retry-failed.js';
import { type LLMBatchConfig, loadConfig } from './config.js';
import { CliError, exitCodes } from './internal/cli-error.js';
import type { CliIO } from './io.js';
import { mergeSettings } from './settings.js';

const positiveInteger = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new InvalidArgumentError(`${name} must be a positive whole number.`);
  return number;
};
const positiveNumber = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError(`${name} must be a positive number.`);
  return number;
};
const nonNegativeInteger = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new InvalidArgumentError(`${name} must be 0 or a positive whole number.`);
  return number;
};

/** Options shared by commands that run the model. */
function addRunOptions(command: Command): Command {
  return command
    .option(
      '-p, --prompt <file-or-text>',
      'prompt template with {{field}} placeholders: a file, or the text itself',
    )
    .option(
      '-m, --model <provider:model>',
      'model, e.g. openai:gpt-4o-mini, anthropic:claude-haiku-4-5, mock:echo',
    )
    .option('-s, --system <file-or-text>', 'system prompt: a file, or the text itself')
    .option(
      '--schema <file.json>',
      'JSON Schema the output must match (asks the model for structured output)',
    )
    .option('-k, --key <field>', 'input field that identifies each row (default: the row number)')
    .option('--max-tokens <n>', 'upper bound on output tokens per unit', positiveInteger('--max-tokens'))
    .option('--temperature <t>', 'sampling temperature', (value) => {
      const number = Number(value);
      if (!(number >= 0 && number <= 2))
        throw new InvalidArgumentError('--temperature must be between 0 and 2.');
      return number;
    })
    .option('--base-url <url>', 'any OpenAI-compatible endpoint (vLLM, Ollama, OpenRouter, Azure, ...)')
    .option(
      '--api-key-env <NAME>',
      'environment variable holding the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY)',
    )
    .option('--config <file>', 'config file (default: llmbatch.config.json or .ts in the current directory)');
}

function addExecutionOptions(command: Command): Command {
  return command
    .option('-c, --concurrency <n>', 'calls in flight at once (default 16)', positiveInteger('--concurrency'))
    .option('--rpm <n>', 'requests per minute limit', positiveNumber('--rpm'))
    .option('--tpm <n>', 'tokens per minute limit', positiveNumber('--tpm'))
    .option('--timeout <seconds>', 'time allowed for one attempt (default 60)', positiveNumber('--timeout'))
    .option('--retries <n>', 'retries after a failed attempt (default 4)', nonNegativeInteger('--retries'))
    .option(
      '--max-cost <usd>',
      'stop before spending more than this many dollars',
      positiveNumber('--max-cost'),
    )
    .option('--unordered', 'write results as they complete instead of in input order')
    .option('--fail-on-unit-error', 'exit 1 when any unit ended in error')
    .option(
      '--confirm-above <usd>',
      'ask before runs whose expected cost exceeds this, on a terminal (default 1)',
      (value) => {
        const number = Number(value);
        if (!(number >= 0)) throw new InvalidArgumentError('--confirm-above must be a number of dollars.');
        return number;
      },
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--force', 'resume even if the prompt, model or input changed since the output was started')
    .option('--overwrite', 'replace an existing output instead of resuming it');
}

type Parsed = Record<string, unknown>;

function configFromFlags(options: Parsed): LLMBatchConfig {
  const names = [
    'model',
    'prompt',
    'system',
    'schema',
    'output',
    'format',
    'key',
    'concurrency',
    'rpm',
    'tpm',
    'timeout',
    'retries',
    'maxCost',
    'maxTokens',
    'temperature',
    'baseUrl',
    'apiKeyEnv',
    'unordered',
    'confirmAbove',
    'failOnUnitError',
  ] as const;
  const out: Record<string, unknown> = {};
  for (const name of names) if (options[name] !== undefined) out[name] = options[name];
  return out as LLMBatchConfig;
}

function runFlags(options: Parsed): RunFlags {
  return {
    yes: options.yes === true,
    quiet: options.quiet === true,
    json: options.json === true,
    force: options.force === true,
    overwrite: options.overwrite === true,
  };
}

const examples = {
  run: `
Examples:
  $ llmbatch run reviews.csv -p prompt.md -m openai:gpt-4o-mini -o labels.jsonl
  $ llmbatch run items.jsonl -p "Translate to French: {{text}}" -m anthropic:claude-haiku-4-5 -o fr.csv --max-cost 2
  $ llmbatch run "sqlite:./shop.db?table=reviews" -p prompt.md -m openai:gpt-4o-mini --schema label.json -o out.jsonl
  $ cat rows.jsonl | llmbatch run - -p prompt.md -m openai:llama3.1 --base-url http://127.0.0.1:11434/v1 -o -

Settings come from built-in defaults, then llmbatch.config.json (or .ts), then these flags: a flag always wins.
Running again with the same -o resumes: rows already in the output are skipped and not billed.`,
  estimate: `
Examples:
  $ llmbatch estimate reviews.csv -p prompt.md -m openai:gpt-4o-mini
  $ llmbatch estimate items.jsonl -p prompt.md -m openai:gpt-4.1 --max-tokens 300 --json`,
  resume: `
Examples:
  $ llmbatch resume labels.jsonl
  $ llmbatch resume labels.jsonl --concurrency 4`,
  retryFailed: `
Examples:
  $ llmbatch retry-failed labels.jsonl
  $ llmbatch retry-failed labels.jsonl --retries 8 --timeout 120`,
};

/**
 * Runs the `llmbatch` command line with `argv` (without `node` and the script) and returns the exit
 * code. Everything external comes through `io`, so tests and embedders can drive it.
 *
 * @example
 * ```ts
 * import { runCli } from 'llmbatch';
 * const code = await runCli(['run', 'data.csv', '-p', 'Summarise {{text}}', '-m', 'mock:echo', '-o', 'out.jsonl'], processIO());
 * ```
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let exitCode: number = exitCodes.ok;
  const program = new Command('llmbatch')
    .description('Run an LLM prompt over every row of a dataset, with progress, cost estimates and resume.')
    .version('0.0.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)');

  addExecutionOptions(
    addRunOptions(
      program
        .command('run')
        .description('run the prompt over every unit of <input> and write results to --output')
        .argument(
          '<input>',
          'data.csv | data.tsv | data.jsonl | data.json | sqlite:./db.sqlite?table=t | - (JSONL on stdin)',
        )
        .option('-o, --output <path>', 'results: .jsonl, .json, .csv, .tsv, sqlite:./out.db, or - for stdout')
        .addOption(
          new Option('--format <format>', 'output format (default: from the extension)').choices([
            'jsonl',
            'json',
            'csv',
            'tsv',
            'sqlite',
          ]),
        ),
    ),
  )
    .addHelpText('after', examples.run)
    .action(async (input: string, options: Parsed) => {
      const { config } = await loadConfig(io.cwd, options.config as string | undefined);
      const settings = await mergeSettings(io.cwd, input, config, configFromFlags(options));
      exitCode = await executeRun(settings, runFlags(options), io);
    });

  addRunOptions(
    program
      .command('estimate')
      .description('count units and tokens and estimate the cost of a run; sends nothing')
      .argument('<input>', 'the same inputs as run'),
  )
    .option('--json', 'print the estimate as JSON')
    .addHelpText('after', examples.estimate)
    .action(async (input: string, options: Parsed) => {
      const { config } = await loadConfig(io.cwd, options.config as string | undefined);
      const flags = configFromFlags(options);
      const settings = await mergeSettings(io.cwd, input, { ...config, output: config.output ?? '-' }, flags);
      exitCode = await executeEstimate(settings, { json: options.json === true }, io);
    });

  addExecutionOptions(
    program
      .command('resume')
      .description('continue a run that stopped, from its output and the state file beside it')
      .argument('<output>', 'the output of the run to continue'),
  )
    .addHelpText('after', examples.resume)
    .action(async (output: string, options: Parsed) => {
      exitCode = await executeResume(output, configFromFlags(options), runFlags(options), io);
    });

  addExecutionOptions(
    program
      .command('retry-failed')
      .description('re-run only the units that ended in error, replacing their lines in the output')
      .argument('<output>', 'a JSONL output written by llmbatch run'),
  )
    .addHelpText('after', examples.retryFailed)
    .action(async (output: string, options: Parsed) => {
      exitCode = await executeRetryFailed(output, configFromFlags(options), runFlags(options), io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`llmbatch: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    const usageCodes = [
      'not-found',
      'path-outside-root',
      'not-a-regular-file',
      'unknown-scheme',
      'invalid-options',
      'template',
      'sqlite-query-rejected',
    ];
    io.stderr.write(`llmbatch: ${message}\n`);
    return typeof code === 'string' && usageCodes.includes(code) ? exitCodes.usage : exitCodes.failed;
  }
}
