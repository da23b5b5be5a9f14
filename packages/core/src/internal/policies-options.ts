import type * as z from 'zod';
import { LLMBatchError } from '../errors.js';

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Validates a policy factory's options with `schema` and returns the parsed values (defaults applied).
 * Throws an `invalid-options` LLMBatchError naming the factory, the field and the value received.
 */
export function parsePolicyOptions<Schema extends z.ZodType>(
  factory: string,
  schema: Schema,
  options: unknown,
): z.output<Schema> {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  const field = path.map(String).join('.') || '(options)';
  const received = describe(valueAt(options, path));
  throw new LLMBatchError({
    code: 'invalid-options',
    message: `${factory}: invalid option "${field}" (${issue?.message ?? 'invalid'}), received ${received}`,
    details: { factory, field, received },
  });
}
