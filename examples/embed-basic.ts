/**
 * Embedding @llmbatch/core: run a prompt over records and get ordered results with a cost summary.
 * Runs against a local fake provider unless OPENAI_API_KEY is set.
 *
 *   pnpm tsx examples/embed-basic.ts
 */
import { createEngine, createOpenAICompatibleProvider } from '@llmbatch/core';
import { startFakeProvider } from '@llmbatch/core/testing';

const reviews = [
  { id: 'r1', text: 'Arrived quickly and works perfectly.' },
  { id: 'r2', text: 'Broke after two days. Do not buy.' },
  { id: 'r3', text: 'It is fine, I guess.' },
];

const apiKey = process.env.OPENAI_API_KEY;
const fake = apiKey === undefined ? await startFakeProvider({ latencyMs: 20 }) : undefined;
const openai =
  apiKey === undefined
    ? createOpenAICompatibleProvider({ baseURL: `${fake?.url}/v1` })
    : createOpenAICompatibleProvider({ apiKey });
const engine = createEngine({ providers: { openai }, concurrency: 8 });

const run = engine.run(reviews, {
  model: 'openai:gpt-4o-mini',
  system: 'You label product reviews. Answer with JSON only.',
  prompt: 'Return {"sentiment": "positive" | "negative" | "neutral"} for this review: {{text}}',
  keyField: 'id',
});

for await (const result of run) {
  console.log(result.key, result.status, JSON.stringify(result.value));
}
const summary = await run.summary;
console.log(
  `done ${summary.done}, ok ${summary.succeeded}, failed ${summary.failed}, tokens ${summary.usage.inputTokens}+${summary.usage.outputTokens}, cost $${summary.cost?.toFixed(6)}`,
);

await engine.close();
await fake?.close();
