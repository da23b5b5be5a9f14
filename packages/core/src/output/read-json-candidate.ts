import { jsonrepair } from 'jsonrepair';
import { describeRepairs } from './describe-repairs.js';
import { errorMessage, type ParseAttempt, parseJsonStrict } from './parse-json-strict.js';

/**
 * Reads a piece of text that starts like a JSON object or array: strictly first, and only when that
 * fails (and `repair` is on) through `jsonrepair`, with warnings naming what was repaired.
 *
 * @param candidate Text starting with `{` or `[`. Pass `strictError` when strict parsing is already
 * known to fail (the caller tried it, or the candidate was cut off), so it is not run again.
 * @example
 * ```ts
 * readJsonCandidate('{"a": 1,}', { repair: true });
 * // { ok: true, value: { a: 1 }, warnings: ['repaired trailing comma'] }
 * ```
 */
export function readJsonCandidate(
  candidate: string,
  options: { repair: boolean; strictError?: string | undefined },
): ParseAttempt {
  let strictError = options.strictError;
  if (strictError === undefined) {
    const strict = parseJsonStrict(candidate);
    if (strict.ok) return strict;
    strictError = strict.error;
  }
  if (!options.repair) {
    return {
      ok: false,
      error: `model output contains malformed JSON and repair is disabled: ${strictError}`,
    };
  }
  let repaired: string;
  try {
    repaired = jsonrepair(candidate);
  } catch (error) {
    return {
      ok: false,
      error: `model output contains malformed JSON that could not be repaired: ${errorMessage(error)}`,
    };
  }
  const parsed = parseJsonStrict(repaired);
  if (!parsed.ok) {
    return {
      ok: false,
      error: `model output contains malformed JSON that could not be repaired: ${parsed.error}`,
    };
  }
  return { ok: true, value: parsed.value, warnings: [...describeRepairs(candidate), ...parsed.warnings] };
}
