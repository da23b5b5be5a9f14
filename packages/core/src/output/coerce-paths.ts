import type { JsonValue } from '../types.js';

const maxPaths = 20;

/**
 * Describes where `after` differs from `before` (a copy that a type-coercing validator changed in
 * place), as `"/age: \"42\" → 42"` lines, at most 20.
 */
export function coercedPaths(before: JsonValue, after: JsonValue): string[] {
  const out: string[] = [];
  walk(before, after, '', out);
  return out;
}

function walk(before: JsonValue, after: JsonValue, path: string, out: string[]): void {
  if (out.length >= maxPaths) return;
  if (before !== null && after !== null && typeof before === 'object' && typeof after === 'object') {
    if (Array.isArray(before) && Array.isArray(after)) {
      for (let index = 0; index < before.length; index++) {
        walk(before[index] ?? null, after[index] ?? null, `${path}/${index}`, out);
      }
      return;
    }
    if (!Array.isArray(before) && !Array.isArray(after)) {
      for (const key of Object.keys(before)) {
        const segment = key.replaceAll('~', '~0').replaceAll('/', '~1');
        walk(before[key] ?? null, after[key] ?? null, `${path}/${segment}`, out);
      }
      return;
    }
  }
  if (before !== after) out.push(`${path || '(root)'}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
}
