/** What was wrong with a piece of almost-JSON, as far as one cheap pass can tell. */
interface Findings {
  comments: boolean;
  singleQuotes: boolean;
  smartQuotes: boolean;
  unquotedKeys: boolean;
  pythonLiterals: Set<string>;
  bareWords: Set<string>;
  missingCommas: boolean;
  trailingCommas: number;
  mismatchedBrackets: boolean;
  extraClosingBrackets: boolean;
  unterminatedString: boolean;
  unclosedBrackets: number;
}

type Previous = 'start' | 'open' | 'comma' | 'colon' | 'value';

const pythonLiteralWords = new Set(['True', 'False', 'None']);
const jsonLiteralWords = new Set(['true', 'false', 'null']);
const smartDoubleQuotes = '“”„‟';
const smartSingleQuotes = '‘’‚‛';
const maxListedWords = 3;

/**
 * Names the mistakes `jsonrepair` will fix in `text`, one warning per kind, in a fixed order.
 *
 * A single string-aware pass that tracks brackets and the previous token; it is a description for
 * people, not a parser, so odd inputs may get the generic "repaired malformed JSON" (returned when no
 * specific mistake was recognised).
 *
 * @example
 * ```ts
 * describeRepairs("{'a': 1,}"); // ['repaired single-quoted strings', 'repaired trailing comma']
 * ```
 */
export function describeRepairs(text: string): string[] {
  const found = scan(text);
  const warnings: string[] = [];
  if (found.comments) warnings.push('removed comments');
  if (found.singleQuotes) warnings.push('repaired single-quoted strings');
  if (found.smartQuotes) warnings.push('repaired smart quotes');
  if (found.unquotedKeys) warnings.push('repaired unquoted keys');
  if (found.pythonLiterals.size > 0) {
    warnings.push(`repaired Python literals (${[...found.pythonLiterals].join(', ')})`);
  }
  if (found.bareWords.size > 0) {
    const words = [...found.bareWords];
    const listed = words.slice(0, maxListedWords).join(', ') + (words.length > maxListedWords ? ', …' : '');
    warnings.push(`repaired non-JSON values (${listed})`);
  }
  if (found.missingCommas) warnings.push('repaired missing commas');
  if (found.trailingCommas === 1) warnings.push('repaired trailing comma');
  if (found.trailingCommas > 1) warnings.push(`repaired ${found.trailingCommas} trailing commas`);
  if (found.mismatchedBrackets) warnings.push('repaired mismatched brackets');
  if (found.extraClosingBrackets) warnings.push('removed extra closing brackets');
  const truncation: string[] = [];
  if (found.unterminatedString) truncation.push('closed an unterminated string');
  if (found.unclosedBrackets > 0) {
    const noun = found.unclosedBrackets === 1 ? 'bracket' : 'brackets';
    truncation.push(`added ${found.unclosedBrackets} closing ${noun}`);
  }
  if (truncation.length > 0) warnings.push(`repaired truncated JSON (${truncation.join(', ')})`);
  return warnings.length > 0 ? warnings : ['repaired malformed JSON'];
}

function scan(text: string): Findings {
  const found: Findings = {
    comments: false,
    singleQuotes: false,
    smartQuotes: false,
    unquotedKeys: false,
    pythonLiterals: new Set(),
    bareWords: new Set(),
    missingCommas: false,
    trailingCommas: 0,
    mismatchedBrackets: false,
    extraClosingBrackets: false,
    unterminatedString: false,
    unclosedBrackets: 0,
  };
  const stack = new BracketStack();
  let previous: Previous = 'start';
  let index = 0;
  const startValue = (): void => {
    if (previous === 'value') found.missingCommas = true;
    previous = 'value';
  };
  while (index < text.length) {
    const character = text[index] ?? '';
    const next = text[index + 1];
    if (/\s/.test(character)) {
      index += 1;
    } else if (character === '/' && (next === '/' || next === '*')) {
      found.comments = true;
      const end = next === '/' ? text.indexOf('\n', index) : text.indexOf('*/', index + 2);
      index = end === -1 ? text.length : end + (next === '/' ? 1 : 2);
    } else if (character === '{' || character === '[') {
      startValue();
      stack.push(character);
      previous = 'open';
      index += 1;
    } else if (character === '}' || character === ']') {
      if (previous === 'comma') found.trailingCommas += 1;
      const balanced = stack.close(character === '}' ? '{' : '[');
      if (balanced === undefined) found.extraClosingBrackets = true;
      else if (!balanced) found.mismatchedBrackets = true;
      previous = 'value';
      index += 1;
    } else if (character === ',' || character === ':') {
      previous = character === ',' ? 'comma' : 'colon';
      index += 1;
    } else if (character === '"' || character === "'" || isSmartQuote(character)) {
      startValue();
      if (character === "'") found.singleQuotes = true;
      if (isSmartQuote(character)) found.smartQuotes = true;
      index = skipString(text, index, found);
    } else if (/[0-9+\-.]/.test(character)) {
      startValue();
      index += 1;
      while (index < text.length && /[0-9eE+\-.]/.test(text[index] ?? '')) index += 1;
    } else if (/[\p{L}_$]/u.test(character)) {
      startValue();
      const start = index;
      while (index < text.length && /[\p{L}\p{N}_$]/u.test(text[index] ?? '')) index += 1;
      classifyWord(text, text.slice(start, index), index, found);
    } else {
      index += 1;
    }
  }
  found.unclosedBrackets = stack.depth;
  return found;
}

/** Open brackets, innermost last, with counts so a mismatch never searches the whole stack. */
class BracketStack {
  private readonly open: string[] = [];
  private readonly counts: Record<string, number> = { '{': 0, '[': 0 };

  get depth(): number {
    return this.open.length;
  }

  push(opener: string): void {
    this.open.push(opener);
    this.counts[opener] = (this.counts[opener] ?? 0) + 1;
  }

  /** Closes `opener`; returns whether the brackets were balanced, `undefined` if nothing was open. */
  close(opener: string): boolean | undefined {
    if (this.open.length === 0) return undefined;
    if ((this.counts[opener] ?? 0) === 0) {
      this.pop();
      return false;
    }
    // Like jsonrepair, a closer for an outer bracket also closes the inner ones it skipped.
    let popped = this.pop();
    const balanced = popped === opener;
    while (popped !== opener && popped !== undefined) popped = this.pop();
    return balanced;
  }

  private pop(): string | undefined {
    const popped = this.open.pop();
    if (popped !== undefined) this.counts[popped] = (this.counts[popped] ?? 1) - 1;
    return popped;
  }
}

function classifyWord(text: string, word: string, end: number, found: Findings): void {
  let after = end;
  while (after < text.length && /\s/.test(text[after] ?? '')) after += 1;
  if (text[after] === ':') found.unquotedKeys = true;
  else if (pythonLiteralWords.has(word)) found.pythonLiterals.add(word);
  else if (!jsonLiteralWords.has(word)) found.bareWords.add(word);
}

function isSmartQuote(character: string): boolean {
  return (
    character.length === 1 && (smartDoubleQuotes.includes(character) || smartSingleQuotes.includes(character))
  );
}

/** Returns the index after the string that starts at `start`; notes an unterminated one. */
function skipString(text: string, start: number, found: Findings): number {
  const opener = text[start] ?? '"';
  const closers = smartDoubleQuotes.includes(opener)
    ? `"${smartDoubleQuotes}`
    : smartSingleQuotes.includes(opener)
      ? `'${smartSingleQuotes}`
      : opener;
  let index = start + 1;
  while (index < text.length) {
    const character = text[index] ?? '';
    if (character === '\\') index += 2;
    else if (closers.includes(character)) return index + 1;
    else index += 1;
  }
  found.unterminatedString = true;
  return text.length;
}
