// Checks of numeric command-line options shared by the benchmarks.

/**
 * `text` as a positive integer, or an error naming the option.
 *
 * @example
 * positive('100000', '--units'); // 100000
 */
export function positive(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got "${text}"`);
  return value;
}

/**
 * `text` as a number ≥ 0, or an error naming the option.
 *
 * @example
 * nonNegative('50', '--latency'); // 50
 */
export function nonNegative(text, name) {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got "${text}"`);
  return value;
}
