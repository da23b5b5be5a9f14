import * as z from 'zod';
import { AdapterError } from '../errors.js';

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Validates options handed to an adapter factory and returns them parsed. Throws `invalid-options`
 * naming the factory, the field and the value received.
 */
export function parseOptions<Schema extends z.ZodType>(
  factory: string,
  schema: Schema,
  options: unknown,
): z.output<Schema> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  const field = path.map(String).join('.') || '(options)';
  throw new AdapterError({
    code: 'invalid-options',
    message: `${factory}: invalid option ${field} (received ${describe(valueAt(options, path))}): ${issue?.message ?? 'invalid'}`,
    details: { factory, field, issues: result.error.issues.map((item) => item.message) },
  });
}

/** Schema pieces shared by several adapters. */
export const sharedSchemas = {
  root: z.string().min(1).optional(),
  encoding: z.enum(['auto', 'utf-8', 'utf-16le', 'utf-16be']).optional(),
  maxRecordLength: z.number().int().positive().optional(),
  invalidRecords: z.enum(['error', 'skip']).optional(),
  maxReportedIssues: z.number().int().nonnegative().optional(),
  sinkMode: z.enum(['overwrite', 'append', 'create']).optional(),
};
