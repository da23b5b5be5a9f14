/** Exit codes of the `llmbatch` command. */
export const exitCodes = {
  /** Finished; some units may have ended in error (see the summary) unless `--fail-on-unit-error`. */
  ok: 0,
  /** The run could not complete: unreadable input, provider unreachable for good, a failed write. */
  failed: 1,
  /** Bad usage: unknown flag, missing file, bad schema, unknown model, missing API key. */
  usage: 2,
  /** Interrupted by Ctrl-C (SIGINT); the output and its state file are consistent and resumable. */
  interrupted: 130,
  /** Stopped by SIGTERM; resumable like an interrupt. */
  terminated: 143,
} as const;

/** An error that ends the command with a message for people and a specific exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.usage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
