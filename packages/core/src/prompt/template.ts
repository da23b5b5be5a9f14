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

/** Parts of each compiled template, for callers inside the package that render part by part. */
const partsOf = new WeakMap<CompiledTemplate, { parts: readonly Part[]; interpolation: Interpolation }>();

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

  const template: CompiledTemplate = {
    source,
    fields,
    render(unit: Unit, key: string): string {
      let out = '';
      for (const part of parts) {
        out += typeof part === 'string' ? part : renderValue(unit, key, part, interpolation);
      }
      return out;
    },
  };
  partsOf.set(template, { parts, interpolation });
  return template;
}

/**
 * Calls `visit` with each piece of the rendered template in order: literal text (`literal: true`, the
 * same string object for every unit, so callers can cache per piece) and inserted values. Throws like
 * `render` for a missing field.
 */
export function visitRenderedParts(
  template: CompiledTemplate,
  unit: Unit,
  key: string,
  visit: (text: string, literal: boolean) => void,
): void {
  const compiled = partsOf.get(template);
  if (compiled === undefined) {
    visit(template.render(unit, key), false);
    return;
  }
  for (const part of compiled.parts) {
    if (typeof part === 'string') visit(part, true);
    else visit(renderValue(unit, key, part, compiled.interpolation), false);
  }
}

function renderValue(
  unit: Unit,
  key: string,
  part: { path: readonly string[]; source: string },
  interpolation: Interpolation,
): string {
  const value = lookup(unit, part.path);
  if (value === undefined) {
    throw new LLMBatchError({
      code: 'template',
      message: `unit ${key} has no field "${part.source}" used by the prompt template`,
      details: { key, field: part.source },
    });
  }
  return interpolation === 'raw' && typeof value === 'string' ? value : encode(value);
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
