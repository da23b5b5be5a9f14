/** What {@link stripReasoning} found and kept. */
export type StripReasoningResult =
  | { ok: true; text: string; warnings: string[] }
  | { ok: false; error: string; warnings: string[] };

const openingTag = /^<(think|thinking|reasoning)>/i;
const orphanClosingTag = /<\/(think|thinking|reasoning)>/i;
const maxOpeningTagLength = '<reasoning>'.length;

function skipWhitespace(text: string, from: number): number {
  let position = from;
  while (position < text.length && /\s/.test(text[position] ?? '')) position += 1;
  return position;
}

/**
 * Removes reasoning blocks (`<think>…</think>`, `<thinking>`, `<reasoning>`) that reasoning models put
 * before their answer, so braces inside the reasoning are never mistaken for the answer.
 *
 * Only leading blocks are removed: a tag in the middle of the answer is content. Some servers put the
 * opening `<think>` in the prompt, so the output holds only the closing tag; everything up to that first
 * closing tag is then removed as well. A block that is never closed means the model stopped while still
 * reasoning, which is reported as a failure rather than guessed at.
 *
 * @param text Model output, already trimmed.
 * @example
 * ```ts
 * stripReasoning('<think>maybe {a}?</think>{"a":1}');
 * // { ok: true, text: '{"a":1}', warnings: ['removed a <think> reasoning block before the answer'] }
 * ```
 */
export function stripReasoning(text: string): StripReasoningResult {
  let position = 0;
  let removed = 0;
  let firstTag = '';
  for (;;) {
    position = skipWhitespace(text, position);
    const match = openingTag.exec(text.slice(position, position + maxOpeningTagLength));
    if (match === null) break;
    const tag = (match[1] ?? 'think').toLowerCase();
    // Searching from `lastIndex` instead of slicing keeps many consecutive blocks linear.
    const closing = new RegExp(`</${tag}>`, 'ig');
    closing.lastIndex = position + match[0].length;
    const close = closing.exec(text);
    if (close === null) {
      return { ok: false, error: `model output ends inside an unclosed <${tag}> block`, warnings: [] };
    }
    if (removed === 0) firstTag = tag;
    removed += 1;
    position = close.index + close[0].length;
  }
  const rest = text.slice(position);
  if (removed > 0) {
    const what =
      removed === 1 ? `a <${firstTag}> reasoning block` : `${removed} <${firstTag}> reasoning blocks`;
    return { ok: true, text: rest, warnings: [`removed ${what} before the answer`] };
  }
  // Only look for a lone closing tag when the text does not already start like JSON, so a tag inside a
  // JSON string value is left alone.
  const first = rest[0];
  if (first === '{' || first === '[') return { ok: true, text: rest, warnings: [] };
  const orphan = orphanClosingTag.exec(rest);
  if (orphan === null) return { ok: true, text: rest, warnings: [] };
  return {
    ok: true,
    text: rest.slice(orphan.index + orphan[0].length).trimStart(),
    warnings: [`removed reasoning text ending in ${orphan[0]} before the answer`],
  };
}
