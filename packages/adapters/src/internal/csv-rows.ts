import { AdapterError } from '../errors.js';

/**
 * Names header cells: an empty cell becomes `column_<n>` (1-based position) and a repeated name gets
 * `_2`, `_3`, ... so every column keeps its data.
 */
export function nameColumns(cells: readonly unknown[]): string[] {
  const used = new Set<string>();
  const names: string[] = [];
  cells.forEach((cell, position) => {
    const base = String(cell ?? '') === '' ? `column_${position + 1}` : String(cell);
    let name = base;
    for (let suffix = 2; used.has(name); suffix += 1) name = `${base}_${suffix}`;
    used.add(name);
    names.push(name);
  });
  return names;
}

/** Positions of the selected columns, or of all columns. Throws `unknown-column` listing the known ones. */
export function selectColumns(
  header: readonly string[],
  selection: readonly string[] | undefined,
  name: string,
): number[] {
  if (selection === undefined) return header.map((_, position) => position);
  return selection.map((column) => {
    const position = header.indexOf(column);
    if (position === -1) {
      const known = header.slice(0, 50);
      throw new AdapterError({
        code: 'unknown-column',
        message: `${name}: column "${column}" is not in the header (columns: ${known.join(', ')})`,
        details: { column, known },
      });
    }
    return position;
  });
}

/** How many physical lines a parsed row spans: one, plus each line break inside quoted fields. */
export function linesSpanned(row: readonly unknown[]): number {
  let lines = 1;
  for (const cell of row) {
    if (typeof cell !== 'string') continue;
    if (cell.indexOf('\n') === -1 && cell.indexOf('\r') === -1) continue;
    for (let position = 0; position < cell.length; position += 1) {
      const char = cell.charCodeAt(position);
      if (char === 10) lines += 1;
      else if (char === 13 && cell.charCodeAt(position + 1) !== 10) lines += 1;
    }
  }
  return lines;
}

const plainNumber = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Type inference for `inferTypes: true`: `''` → `null`, `true`/`false` (any case) → booleans, plain decimal
 * numbers → numbers. Numbers with leading zeros (`007`, zip codes) and integers beyond 2^53 stay strings.
 */
export function inferType(value: string): string | number | boolean | null {
  if (value === '') return null;
  const lower = value.length <= 5 ? value.toLowerCase() : '';
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (!plainNumber.test(value)) return value;
  const number = Number(value);
  if (!Number.isFinite(number)) return value;
  if (Number.isInteger(number) && !Number.isSafeInteger(number)) return value;
  return number;
}
