import { type ExtractResult, extractJson } from './extract-json.js';

/**
 * Turns a model's text output into a unit's value for the job's output mode. Never throws.
 *
 * - `json`: {@link extractJson} with repair on — any JSON value, with warnings saying what was done.
 * - `text`: the raw text, untouched (not trimmed), with no warnings.
 *
 * @example
 * ```ts
 * parseOutput('```json\n[1, 2]\n```', 'json');
 * // { ok: true, value: [1, 2], warnings: ['extracted JSON from a fenced code block'] }
 * parseOutput('  Hello!\n', 'text'); // { ok: true, value: '  Hello!\n', warnings: [] }
 * ```
 */
export function parseOutput(text: string, mode: 'json' | 'text'): ExtractResult {
  if (mode === 'text') return { ok: true, value: text, warnings: [] };
  return extractJson(text);
}
