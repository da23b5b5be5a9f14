import type { JsonValue } from '../types.js';

/** The outcome of reading one piece of text as JSON. */
export type ParseAttempt = { ok: true; value: JsonValue; warnings: string[] } | { ok: false; error: string };

/**
 * Parses text with `JSON.parse`, never throwing, and keeps the value true to {@link JsonValue}.
 *
 * JSON allows numbers such as `1e400` that JavaScript reads as `Infinity`, which `JSON.stringify` would
 * silently write as `null`; they are replaced by `null` here with a warning, so what the caller stores
 * is exactly what it was told about.
 *
 * @example
 * ```ts
 * parseJsonStrict('[1, 2]'); // { ok: true, value: [1, 2], warnings: [] }
 * parseJsonStrict('{a:1}').ok; // false
 * ```
 */
export function parseJsonStrict(text: string): ParseAttempt {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? { ok: true, value, warnings: [] }
      : { ok: true, value: null, warnings: [outOfRangeWarning(1)] };
  }
  const replaced = replaceNonFiniteNumbers(value);
  return { ok: true, value, warnings: replaced > 0 ? [outOfRangeWarning(replaced)] : [] };
}

/**
 * The message of anything thrown, for error texts.
 *
 * @example
 * ```ts
 * errorMessage(new SyntaxError('Unexpected token')); // 'Unexpected token'
 * ```
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function outOfRangeWarning(count: number): string {
  return count === 1
    ? 'replaced 1 out-of-range number with null'
    : `replaced ${count} out-of-range numbers with null`;
}

/** Walks the value without recursion (model output can nest deeply) and returns how many it replaced. */
function replaceNonFiniteNumbers(root: JsonValue): number {
  let replaced = 0;
  const pending: JsonValue[] = [root];
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    if (Array.isArray(container)) {
      for (let index = 0; index < container.length; index += 1) {
        const item = container[index];
        if (typeof item === 'number' && !Number.isFinite(item)) {
          container[index] = null;
          replaced += 1;
        } else if (typeof item === 'object' && item !== null) {
          pending.push(item);
        }
      }
    } else if (typeof container === 'object' && container !== null) {
      for (const key of Object.keys(container)) {
        const item = container[key];
        if (typeof item === 'number' && !Number.isFinite(item)) {
          container[key] = null;
          replaced += 1;
        } else if (typeof item === 'object' && item !== null) {
          pending.push(item);
        }
      }
    }
  }
  return replaced;
}
