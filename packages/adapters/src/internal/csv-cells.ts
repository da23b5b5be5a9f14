import type { UnitResult } from '@llmbatch/core';

const formulaStart = /^[=+\-@\t\r]/;
const negativeNumber = /^-(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Neutralises a cell a spreadsheet would run as a formula: a cell starting with `=`, `+`, `-`, `@`, tab or
 * carriage return gets a leading `'` (the OWASP advice for CSV injection). A negative number in plain decimal
 * form (`-12`, `-0.5`, `-1e-7`) is left alone: a spreadsheet reads it as a number, never as a formula.
 */
export function neutralizeFormula(cell: string): string {
  if (!formulaStart.test(cell) || negativeNumber.test(cell)) return cell;
  return `'${cell}`;
}

/** Undoes {@link neutralizeFormula} on a cell read back (a header when appending, a key when resuming). */
export function restoreHeaderCell(cell: string): string {
  return cell.startsWith("'") && formulaStart.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/** A value as cell text: strings as they are, `null`/`undefined` empty, numbers and booleans as text, the rest as JSON. */
export function toCellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flattens nested objects into dotted paths; arrays and scalars are leaves. */
export function flattenValue(value: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()) {
  for (const [name, inner] of Object.entries(value)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (isObject(inner) && Object.keys(inner).length > 0) flattenValue(inner, path, out);
    else out.set(path, inner);
  }
  return out;
}

/** Columns before the output columns. */
export const leadingColumns = ['key', 'index', 'status'] as const;
/** Columns after the output columns (`raw` is added when asked for). */
export const trailingColumns = [
  'error_code',
  'error_message',
  'warnings',
  'input_tokens',
  'output_tokens',
  'cost',
  'attempts',
  'duration_ms',
] as const;
/** Column holding, as JSON, the output fields that have no column of their own. */
export const restColumn = 'value.*';
/** Most output columns inferred from the first result; further fields go to {@link restColumn}. */
export const maxInferredColumns = 200;

/** Builds the cells of one result for the given header. */
export function resultCells(result: UnitResult, columns: readonly string[]): unknown[] {
  const value = result.value;
  const flat = isObject(value) ? flattenValue(value) : undefined;
  const used = new Set<string>();
  const cells = columns.map((column): unknown => {
    switch (column) {
      case 'key':
        return result.key;
      case 'index':
        return result.index;
      case 'status':
        return result.status;
      case 'value':
        return value;
      case 'error_code':
        return result.error?.code;
      case 'error_message':
        return result.error?.message;
      case 'warnings':
        return result.warnings.join('\n');
      case 'input_tokens':
        return result.usage.inputTokens;
      case 'output_tokens':
        return result.usage.outputTokens;
      case 'cost':
        return result.cost;
      case 'attempts':
        return result.attempts.length;
      case 'duration_ms':
        return result.durationMs;
      case 'raw':
        return result.raw;
      case restColumn:
        return undefined;
    }
    if (!column.startsWith('value.') || flat === undefined) return undefined;
    const path = column.slice('value.'.length);
    used.add(path);
    return flat.get(path);
  });
  const restAt = columns.indexOf(restColumn);
  if (restAt !== -1) {
    if (flat === undefined) cells[restAt] = value;
    else {
      const rest = [...flat].filter(([path]) => !used.has(path));
      if (rest.length > 0) cells[restAt] = Object.fromEntries(rest);
    }
  }
  return cells;
}
