// Checks that the engine and the raw baseline send byte-identical requests before anything is timed.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { runJsonChild } from './processes.mjs';

/**
 * Runs `workerScript` in `engine` and `raw` mode over a few units against a capturing server on
 * 127.0.0.1 and throws unless both sent the same bodies, paths and content-type/authorization headers.
 *
 * @example
 * await assertSameRequests('bench/lib/engine-worker.mjs');
 */
export async function assertSameRequests(workerScript, units = 3) {
  const captured = { engine: [], raw: [] };
  let mode = 'engine';
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { authorization, 'content-type': contentType } = request.headers;
      captured[mode].push(JSON.stringify([request.method, request.url, contentType, authorization, body]));
      const content = JSON.stringify({ label: 'positive' });
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 5 },
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}`;
  try {
    for (const current of ['engine', 'raw']) {
      mode = current;
      const args = ['--mode', current, '--url', url, '--units', String(units), '--concurrency', '1'];
      await runJsonChild(workerScript, args);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const engine = captured.engine.sort();
  const raw = captured.raw.sort();
  if (engine.length !== units || JSON.stringify(engine) !== JSON.stringify(raw)) {
    throw new Error(
      `engine and raw baseline send different requests:\nengine ${engine.join('\n')}\nraw    ${raw.join('\n')}`,
    );
  }
  return engine.length;
}
