import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, loadConfig, readOutbox } from '@llmbatch/server';

/** A real llmbatch server on 127.0.0.1, on its embedded default (PGlite, development mail outbox). */
export interface LocalServer {
  url: string;
  /** The `token` of the link in the newest mail to `to` whose subject matches. */
  mailedToken(to: string, subject: RegExp): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the server in this process with a fresh data directory and a free port, and a job worker
 * that polls often (jobs call whatever provider their key points at: the tests use a local fake).
 */
export async function startLocalServer(): Promise<LocalServer> {
  const dataDirectory = await mkdtemp(join(tmpdir(), 'llmbatch-sdk-e2e-'));
  const config = await loadConfig({
    NODE_ENV: 'test',
    LLMBATCH_DATA_DIR: dataDirectory,
    HOST: '127.0.0.1',
    PORT: '0',
    APP_URL: 'http://app.llmbatch.test',
    LOG_LEVEL: 'silent',
  });
  // Cheap password hashing keeps the test fast; the flow is the same.
  // Not an inline literal: the server's built typings may predate `worker` while its source (which
  // the tests run) has it.
  const options = {
    config,
    passwordHashing: { cost: 1024 },
    worker: { pollIntervalMs: 100, engineOptions: { retry: { maxRetries: 0 } } },
  };
  const server = await createServer(options);
  const url = await server.start();
  return {
    url,
    async mailedToken(to, subject) {
      const mail = (await readOutbox(server.context.database, 100)).find(
        (candidate) => candidate.to === to && subject.test(candidate.subject),
      );
      const link = mail === undefined ? undefined : /https?:\/\/\S+/.exec(mail.text)?.[0];
      const token = link === undefined ? null : new URL(link).searchParams.get('token');
      if (token === null) throw new Error(`No mail to ${to} matching ${subject} with a token link`);
      return token;
    },
    async close() {
      await server.stop();
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}
