// The benchmark workload, shared by the engine and the raw undici baseline so both send the same bytes.

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
