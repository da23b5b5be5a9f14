/**
 * Structured extraction with @llmbatch/core: estimate the cost first, then pull typed records out of
 * free text under a budget. Output that misses the schema is repaired locally when it can be (here a
 * number sent as a string inside a fenced block) and otherwise re-asked with the validation errors
 * (here a missing field). Runs against a local fake provider unless OPENAI_API_KEY is set.
 *
 *   pnpm tsx examples/structured-extraction.ts
 */
import { createEngine, type JobSpec } from '@llmbatch/core';
import { type FakeRequest, startFakeProvider } from '@llmbatch/core/testing';

const notes = [
  { id: 'n1', text: 'Call with Ada Lovelace from Analytical Engines Ltd: they want 12 seats.' },
  { id: 'n2', text: 'Grace Hopper (Navy Labs) asked for a quote for 40 seats.' },
  { id: 'n3', text: 'Alan Turing, Bletchley Park. 3 seats for now, more next year.' },
];

const lead = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Full name of the contact' },
    company: { type: 'string' },
    seats: { type: 'integer', minimum: 1 },
  },
  required: ['name', 'company', 'seats'],
  additionalProperties: false,
};

/** What the fake model answers: right, missing a field until re-asked, or fenced with a string number. */
function fakeModel(request: FakeRequest) {
  const conversation = JSON.stringify(request.body.messages);
  const reAsked = Array.isArray(request.body.messages) && request.body.messages.length > 2;
  if (conversation.includes('Ada')) {
    return { content: '{"name":"Ada Lovelace","company":"Analytical Engines Ltd","seats":12}' };
  }
  if (conversation.includes('Grace')) {
    return reAsked
      ? { content: '{"name":"Grace Hopper","company":"Navy Labs","seats":40}' }
      : { content: '{"name":"Grace Hopper","company":"Navy Labs"}' };
  }
  return {
    content: 'Here you go:\n```json\n{"name": "Alan Turing", "company": "Bletchley Park", "seats": "3"}\n```',
  };
}

const apiKey = process.env.OPENAI_API_KEY;
const fake = apiKey ? undefined : await startFakeProvider({ latencyMs: 10, respond: fakeModel });
const engine = createEngine({
  providerConfig: { openai: fake ? { baseURL: `${fake.url}/v1` } : { apiKey: apiKey ?? '' } },
  concurrency: 4,
});

const job: JobSpec = {
  model: 'openai:gpt-4o-mini',
  system: 'You extract sales leads from notes. Answer with JSON only.',
  prompt: 'Extract the contact, their company and the number of seats from this note: {{text}}',
  schema: lead,
  schemaName: 'lead',
  maxTokens: 100,
  keyField: 'id',
};

const estimate = await engine.estimate(notes, job);
console.log(
  `estimate ${estimate.units} units, ${estimate.inputTokens} input tokens (${estimate.tokenizer}), up to $${estimate.cost?.high.toFixed(6)}`,
);

const run = engine.run(notes, job, { maxCost: 0.01 });
for await (const result of run) {
  const attempts = `${result.attempts.length} ${result.attempts.length === 1 ? 'attempt' : 'attempts'}`;
  const warnings = result.warnings.length > 0 ? ` (${result.warnings.join('; ')})` : '';
  console.log(
    `${result.key} ${result.status} ${attempts} ${JSON.stringify(result.value ?? result.error)}${warnings}`,
  );
}
const summary = await run.summary;
console.log(
  `done ${summary.done}, ok ${summary.succeeded}, failed ${summary.failed}, cost $${summary.cost?.toFixed(6)} of budget $${summary.budget?.maxCost}`,
);

await engine.close();
await fake?.close();
