import type { Readable, Writable } from 'node:stream';

/** What the command line touches in the outside world; `bin.ts` passes the real process. */
export interface CliIO {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Subscribes to a signal; returns the unsubscribe function. */
  onSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): () => void;
  /** Ends the process at once (second Ctrl-C). */
  exitNow(code: number): never;
}

/** The real process as {@link CliIO}. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => process.off(signal, handler);
    },
    exitNow(code) {
      process.exit(code);
    },
  };
}
