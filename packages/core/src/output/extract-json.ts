import type { JsonValue } from '../types.js';
import { type FencedBlock, findFencedBlocks } from './fenced-blocks.js';
import { findEmbeddedJson, looksLikeJsonAt } from './find-embedded-json.js';
import { errorMessage, type ParseAttempt, parseJsonStrict } from './parse-json-strict.js';
import { readJsonCandidate } from './read-json-candidate.js';
import { stripReasoning } from './strip-reasoning.js';

/**
 * What reading a model's output produced. `warnings` say what was done to get the value (or how far it
 * got before failing), e.g. `"took the first of 2 fenced blocks"` or `"repaired trailing comma"`; they
 * are empty when the whole output was valid JSON.
 */
export type ExtractResult =
  | { ok: true; value: JsonValue; warnings: string[] }
  | { ok: false; warnings: string[]; error: string };

/** Options of {@link extractJson}. */
interface ExtractJsonOptions {
  /** Repair malformed JSON with `jsonrepair` when strict parsing fails. @default true */
  repair?: boolean;
}

/**
 * Reads a JSON value — any JSON value, including arrays and bare primitives — out of a model's text
 * output, and says what it did. Never throws.
 *
 * In order:
 * 1. Empty or whitespace-only output fails with `"model output is empty"`.
 * 2. Output that is valid JSON as a whole (after trimming whitespace and a BOM) is returned as is:
 *    `42`, `"hi"`, `true`, `null`, arrays and objects, with no warnings.
 * 3. Leading reasoning blocks (`<think>…</think>`, `<thinking>`, `<reasoning>`) are removed.
 * 4. Fenced code blocks (``` or ~~~, any language tag): the first block whose content is JSON wins.
 *    Inside a fence a bare primitive counts, since the fence marks it as the answer.
 * 5. Otherwise the first `{…}` or `[…]` in the prose (outside fenced blocks) that starts like JSON.
 *
 * Malformed JSON (trailing commas, single or smart quotes, unquoted keys, Python `True`/`False`/`None`,
 * comments, missing commas, a truncated end) is repaired with `jsonrepair` only after strict parsing of
 * that candidate failed, and only for candidates that start with `{` or `[`: prose is never "repaired"
 * into a string. A primitive is accepted only when it is the whole output or a whole fenced block, so
 * `"The answer is 42."` fails with `"no JSON found in model output"`: a number inside a sentence is an
 * answer in prose, not JSON output, and callers that want it should use `text` mode.
 *
 * Runs in time linear in the length of the output.
 *
 * @example
 * ```ts
 * extractJson('Sure! Here it is:\n```json\n{"label": "spam",}\n```');
 * // { ok: true, value: { label: 'spam' },
 * //   warnings: ['extracted JSON from a fenced code block', 'repaired trailing comma'] }
 * extractJson('The answer is 42.');
 * // { ok: false, warnings: [], error: 'no JSON found in model output' }
 * ```
 */
export function extractJson(text: string, options: ExtractJsonOptions = {}): ExtractResult {
  try {
    return extract(text, options.repair ?? true);
  } catch (error) {
    // Defensive: every step is written not to throw, but a caller must never lose a unit to a bug here.
    return { ok: false, warnings: [], error: `could not read model output: ${errorMessage(error)}` };
  }
}

function extract(text: string, repair: boolean): ExtractResult {
  // `trim()` also removes a byte order mark (U+FEFF counts as white space in JavaScript).
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, warnings: [], error: 'model output is empty' };
  const whole = parseJsonStrict(trimmed);
  if (whole.ok) return whole;

  const reasoning = stripReasoning(trimmed);
  if (!reasoning.ok) return reasoning;
  const warnings = [...reasoning.warnings];
  let body = reasoning.text;
  if (warnings.length > 0) {
    if (body === '') return { ok: false, warnings, error: 'model output contains only reasoning, no answer' };
    const answer = parseJsonStrict(body);
    if (answer.ok) return { ok: true, value: answer.value, warnings: [...warnings, ...answer.warnings] };
  }

  let firstError: string | undefined;
  const { blocks, outside } = findFencedBlocks(body);
  for (const [index, block] of blocks.entries()) {
    const attempt = readFencedBlock(block, repair);
    if (attempt.ok) {
      return {
        ok: true,
        value: attempt.value,
        warnings: [...warnings, ...fenceWarnings(index, blocks.length), ...attempt.warnings],
      };
    }
    firstError ??= attempt.error;
  }
  if (blocks.length > 0) {
    warnings.push(
      `skipped ${blocks.length} fenced ${blocks.length === 1 ? 'block that was' : 'blocks that were'} not JSON`,
    );
    body = outside;
  }

  const embedded = findEmbeddedJson(body, repair);
  if (embedded.found) {
    if (embedded.surrounded) warnings.push('extracted JSON from surrounding text');
    return { ok: true, value: embedded.value, warnings: [...warnings, ...embedded.warnings] };
  }
  return { ok: false, warnings, error: firstError ?? embedded.error ?? 'no JSON found in model output' };
}

const jsonValueStart = /^[{["\-0-9tfn]/;

/** A block's content must be JSON as a whole: strictly, or after repair when it starts with `{` or `[`. */
function readFencedBlock(
  block: FencedBlock,
  repair: boolean,
): ParseAttempt | { ok: false; error: undefined } {
  const content = block.content.trim();
  // Most blocks that are not JSON (code, shell) fail on their first character; skip the costly throw.
  if (!jsonValueStart.test(content)) return { ok: false, error: undefined };
  const strict = parseJsonStrict(content);
  if (strict.ok) return strict;
  if (!looksLikeJsonAt(content, 0)) return { ok: false, error: undefined };
  return readJsonCandidate(content, { repair, strictError: strict.error });
}

function fenceWarnings(index: number, count: number): string[] {
  if (count === 1) return ['extracted JSON from a fenced code block'];
  if (index === 0) return [`took the first of ${count} fenced blocks`];
  const skipped = `skipped ${index} fenced ${index === 1 ? 'block that was' : 'blocks that were'} not JSON`;
  const later = count - index - 1;
  if (later === 0) return [skipped];
  return [skipped, `ignored ${later} later fenced ${later === 1 ? 'block' : 'blocks'}`];
}
