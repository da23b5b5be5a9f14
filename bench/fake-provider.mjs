#!/usr/bin/env node
// Runs the fake LLM provider in its own process for benchmarks and child-process tests.
//
//   node bench/fake-provider.mjs --port 0 --latency 50 [--host 127.0.0.1] [--rpm 6000] [--tpm 1000000]
//
// Prints one JSON line `{"url":"http://127.0.0.1:40123"}` on stdout once listening, then serves until
// SIGTERM or SIGINT, when it prints its counters as one JSON line on stderr and exits 0.
// Needs the built package: `pnpm --filter @llmbatch/core build`.
import { parseArgs } from 'node:util';
import { startFakeProvider } from '@llmbatch/core/testing';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    latency: { type: 'string', default: '0' },
    rpm: { type: 'string' },
    tpm: { type: 'string' },
  },
  strict: true,
});

const rateLimit = {};
if (values.rpm !== undefined) rateLimit.requestsPerMinute = Number(values.rpm);
if (values.tpm !== undefined) rateLimit.tokensPerMinute = Number(values.tpm);

const server = await startFakeProvider({
  port: Number(values.port),
  host: values.host,
  latencyMs: Number(values.latency),
  ...(Object.keys(rateLimit).length > 0 ? { rateLimit } : {}),
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.stderr.write(`${JSON.stringify(server.stats)}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
