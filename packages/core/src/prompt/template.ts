import { LLMBatchError } from '../errors.js';
import type { Unit } from '../types.js';

/**
 * How unit values are placed into the prompt.
 *
 * - `json` (default): every value is inserted as its JSON encoding — strings appear quoted with
 *   newlines and quotes escaped, objects as JSON. The model sees exactly where the data begins and
 *   ends, so text inside a field cannot pose as instructions around it. This is the alternative to
 *   "sanitising" input, which is trivially bypassed.
 * - `raw`: strings are inserted verbatim (objects still as JSON). Use only for trusted data.
 */
export type Interpolation = 'json' | 'raw';

type Part = string | { path: readonly string[]; source: string };

/** A parsed prompt template, reusable across units. */
export interface CompiledTemplate {
  /** The template text as given. */
  readonly source: string;
  /** Field paths the template reads, e.g. `["title", "author.name"]`; `.` means the whole unit. */
  readonly fields: readonly string[];
  /**
   * Renders the template for one unit. Throws `LLMBatchError` code `template` naming the unit key and
   * the missing field.
   */
  render(unit: Unit, key: string): string;
}

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g;
const validPath = /^(\.|[A-Za-z_$][\w$-]*(\.[\w$-]+)*)$/;

/**
 * Parses a template with `{{field}}` placeholders. Paths may be nested (`{{author.name}}`,
 * `{{tags.0}}`); `{{.}}` inserts the whole unit as JSON. No expressions, no code execution.
 *
 * @example
 * ```ts
 * const template = compileTemplate('Classify the sentiment of {{review.text}}');
 * template.render({ review: { text: 'Great!' } }, 'row-1'); // 'Classify the sentiment of "Great!"'
 * ```
 */
export function compileTemplate(source: string, interpolation: Interpolation = 'json'): CompiledTemplate {
  if (typeof source !== 'string' || source.trim() === '') {
    throw new LLMBatchError({ code: 'template', message: 'prompt template is empty' });
  }
  const parts: Part[] = [];
  const fields: string[] = [];
  let last = 0;
  for (const match of source.matchAll(placeholder)) {
    const expression = match[1] ?? '';
    if (!validPath.test(expression)) {
      throw new LLMBatchError({
        code: 'template',
        message: `invalid placeholder {{${expression}}} at offset ${match.index}: use a field path like {{name}} or {{author.name}}`,
        details: { placeholder: expression, offset: match.index },
      });
    }
    if (match.index > last) parts.push(source.slice(last, match.index));
    parts.push({ path: expression === '.' ? [] : expression.split('.'), source: expression });
    fields.push(expression);
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));

  return {
    source,
    fields,
    render(unit: Unit, key: string): string {
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') {
          out += part;
          continue;
        }
        const value = lookup(unit, part.path);
        if (value === undefined) {
          throw new LLMBatchError({
            code: 'template',
            message: `unit ${key} has no field "${part.source}" used by the prompt template`,
            details: { key, field: part.source },
          });
        }
        out += interpolation === 'raw' && typeof value === 'string' ? value : encode(value);
      }
      return out;
    },
  };
}

function lookup(unit: Unit, path: readonly string[]): unknown {
  let current: unknown = unit;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function encode(value: unknown): string {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  return JSON.stringify(value) ?? 'null';
}
