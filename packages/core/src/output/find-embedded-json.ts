import type { JsonValue } from '../types.js';
import { readJsonCandidate } from './read-json-candidate.js';

/** The outcome of {@link findEmbeddedJson}. */
export type EmbeddedJson =
  | { found: true; value: JsonValue; warnings: string[]; surrounded: boolean }
  | { found: false; error: string | undefined };

const unknown = 0;
const yes = 1;
const no = 2;
const maxLookahead = 256;
const valueStartAfter = new Set(['{', '[', ',', ':']);

/**
 * Finds the first `{…}` or `[…]` in prose that reads as JSON, strictly or (with `repair`) after repair.
 *
 * Candidates are tried in order of their opening bracket. Only one that starts like JSON (see
 * {@link looksLikeJsonAt}) is parsed; when it fails its inside is skipped, so a fragment of a broken or
 * truncated object is never returned. A bracket that does not start like JSON (`[see note]`) is looked
 * inside. Bracket matching ignores brackets inside strings and honours escapes. Each character is
 * matched at most once (a failed candidate's inside is skipped), so the search is linear.
 * Returns the first failure's reason (or none when nothing looked like JSON).
 *
 * @example
 * ```ts
 * findEmbeddedJson('Sure! {"a": 1} Anything else?', true);
 * // { found: true, value: { a: 1 }, warnings: [], surrounded: true }
 * ```
 */
export function findEmbeddedJson(text: string, repair: boolean): EmbeddedJson {
  const startsLikeJson = new Uint8Array(text.length);
  let firstError: string | undefined;
  let position = 0;
  for (;;) {
    const start = nextOpener(text, position);
    if (start === -1) return { found: false, error: firstError };
    if (!looksLikeJsonAt(text, start, startsLikeJson)) {
      position = start + 1;
      continue;
    }
    const { end, closed } = matchBrackets(text, start);
    const attempt = readJsonCandidate(text.slice(start, end), {
      repair,
      strictError: closed ? undefined : 'unexpected end of JSON (the output looks truncated)',
    });
    if (attempt.ok) {
      const surrounded = /\S/.test(text.slice(0, start)) || /\S/.test(text.slice(end));
      return { found: true, value: attempt.value, warnings: attempt.warnings, surrounded };
    }
    firstError ??= attempt.error;
    position = end;
  }
}

function nextOpener(text: string, from: number): number {
  for (let index = from; index < text.length; index += 1) {
    const character = text[index];
    if (character === '{' || character === '[') return index;
  }
  return -1;
}

/**
 * Finds where the bracket at `start` is closed: `end` is the index after its closing bracket, or the
 * text's length when it never closes. Double-quoted strings are skipped; a single quote starts a
 * string only where a value may start (after `{ [ , :`), so apostrophes in prose do not. Any closing
 * bracket closes the innermost open one, so mismatched brackets still bound the candidate for repair.
 */
function matchBrackets(text: string, start: number): { end: number; closed: boolean } {
  let depth = 0;
  let previous = '';
  let index = start;
  while (index < text.length) {
    const character = text[index] ?? '';
    if (character === '"' || (character === "'" && valueStartAfter.has(previous))) {
      index = skipString(text, index);
      previous = character;
      continue;
    }
    if (character === '{' || character === '[') {
      depth += 1;
    } else if (character === '}' || character === ']') {
      depth -= 1;
      if (depth === 0) return { end: index + 1, closed: true };
    }
    if (!isBlank(character)) previous = character;
    index += 1;
  }
  return { end: text.length, closed: false };
}

/** ASCII white space only: this runs once per character of the output. */
function isBlank(character: string): boolean {
  return character === ' ' || character === '\n' || character === '\r' || character === '\t';
}

function skipString(text: string, start: number): number {
  const quote = text[start];
  let index = start + 1;
  while (index < text.length) {
    const character = text[index];
    if (character === '\\') index += 2;
    else if (character === quote) return index + 1;
    else index += 1;
  }
  return text.length;
}

/**
 * Whether the bracket at `index` starts like JSON rather than prose: `{` followed by a quoted key, an
 * unquoted key and a colon, or `}`; `[` followed by `]` or something that starts a JSON value.
 * Whitespace and comments in between are skipped. Looks at most 256 characters ahead so the check
 * stays cheap for every bracket of a long output; pass the same `cache` (one byte per character of
 * `text`) for every bracket of one text so runs of brackets are looked at once.
 *
 * @example
 * ```ts
 * looksLikeJsonAt('[see note]', 0); // false
 * looksLikeJsonAt("[{'a': 1}]", 0); // true
 * ```
 */
export function looksLikeJsonAt(text: string, index: number, cache?: Uint8Array): boolean {
  if (text[index] !== '{' && text[index] !== '[') return false;
  const limit = Math.min(text.length, index + maxLookahead);
  // Every `[` in a chain like `[[[{` has the same answer as the last bracket; remember it for all of
  // them so a long run of brackets is walked once, not once per bracket.
  const chain: number[] = [];
  let position = index;
  let answer = false;
  while (position < limit) {
    const cached = cache?.[position] ?? unknown;
    if (cached !== unknown) {
      answer = cached === yes;
      break;
    }
    chain.push(position);
    const opener = text[position];
    position = skipSpaceAndComments(text, position + 1, limit);
    const next = text[position] ?? '';
    if (opener === '{') {
      answer = objectStartsLikeJson(text, position, limit);
      break;
    }
    if (next === ']' || isQuote(next) || /[0-9-]/.test(next)) {
      answer = true;
      break;
    }
    if (next !== '{' && next !== '[') {
      answer = /^(true|false|null|True|False|None)\b/.test(text.slice(position, position + 6));
      break;
    }
  }
  if (cache !== undefined) for (const opener of chain) cache[opener] = answer ? yes : no;
  return answer;
}

function objectStartsLikeJson(text: string, position: number, limit: number): boolean {
  const next = text[position] ?? '';
  if (next === '}' || isQuote(next)) return true;
  if (!/[\p{L}_$]/u.test(next)) return false;
  const word = /^[\p{L}_$][\p{L}\p{N}_$]*/u.exec(text.slice(position, limit));
  return word !== null && text[skipSpaceAndComments(text, position + word[0].length, limit)] === ':';
}

function skipSpaceAndComments(text: string, from: number, limit: number): number {
  let position = from;
  while (position < limit) {
    const character = text[position] ?? '';
    if (/\s/.test(character)) {
      position += 1;
    } else if (character === '/' && text[position + 1] === '/') {
      const end = text.slice(position, limit).indexOf('\n');
      position = end === -1 ? limit : position + end + 1;
    } else if (character === '/' && text[position + 1] === '*') {
      const end = text.slice(position + 2, limit).indexOf('*/');
      position = end === -1 ? limit : position + 2 + end + 2;
    } else {
      break;
    }
  }
  return position;
}

function isQuote(character: string): boolean {
  return character.length === 1 && '"\'“”‘’'.includes(character);
}
