// The benchmark workload, shared by the engine and the raw undici baseline so both send the same bytes.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/** The job every engine run uses. */
export const job = { model: 'openai:gpt-4o-mini', prompt: 'Classify: {{text}}' };

/** Headers the engine's OpenAI-compatible provider sends with `apiKey: 'bench'`. */
export const requestHeaders = { 'content-type': 'application/json', authorization: 'Bearer bench' };

/** Path of the chat-completions route under the fake provider's base URL. */
export const completionsPath = '/v1/chat/completions';

/**
 * Yields `count` units lazily, so a million-unit run never holds its input in memory.
 *
 * @example
 * for (const unit of generateUnits(2)) console.log(unit.text);
 */
export function* generateUnits(count) {
  for (let index = 0; index < count; index++) {
    yield { id: index, text: `Review ${index}: arrived on time, works as described, would buy again.` };
  }
}

/**
 * The request body the engine sends for `unit` with {@link job}: the template renders `{{text}}` as its
 * JSON encoding (the engine's default `json` interpolation).
 *
 * @example
 * requestBody({ text: 'hi' }); // '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Classify: \"hi\""}]}'
 */
export function requestBody(unit) {
  return JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: `Classify: ${JSON.stringify(unit.text)}` }],
  });
}

/**
 * Writes `units` rows of {@link generateUnits} to `path` as CSV with a header line, streaming.
 *
 * @example
 * await writeUnitsCsv('/tmp/data.csv', 100_000);
 */
export async function writeUnitsCsv(path, units) {
  const out = createWriteStream(path);
  out.write('id,text\n');
  for (const unit of generateUnits(units)) {
    // The text holds commas but never quotes, so quoting it is enough.
    if (!out.write(`${unit.id},"${unit.text}"\n`)) await new Promise((resolve) => out.once('drain', resolve));
  }
  out.end();
  await finished(out);
}
