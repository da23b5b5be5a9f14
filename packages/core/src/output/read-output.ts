import type { JsonValue } from '../types.js';
import type { CompiledOutputSchema, ValidationIssue } from './output-schema.js';
import { parseOutput } from './parse-output.js';

/** What reading one answer produced: a value, or the issues that a re-ask would quote. */
export type OutputRead =
  | { ok: true; value: JsonValue; warnings: string[] }
  | { ok: false; warnings: string[]; error: string; issues: ValidationIssue[] };

/**
 * Reads a model answer for a job: extracts JSON (or keeps text), then, with a schema, validates it and
 * tries local repair (type coercion) before giving up. Never throws.
 */
export function readOutput(
  text: string,
  mode: 'json' | 'text',
  schema: CompiledOutputSchema | undefined,
): OutputRead {
  const parsed = parseOutput(text, mode);
  if (!parsed.ok) {
    return { ...parsed, issues: [{ path: '', message: parsed.error }] };
  }
  if (schema === undefined) return parsed;
  const issues = schema.validate(parsed.value);
  if (issues === undefined) return parsed;
  const repaired = schema.coerce(parsed.value);
  if (repaired !== undefined) {
    return {
      ok: true,
      value: repaired.value,
      warnings: [
        ...parsed.warnings,
        `converted values to the schema's types: ${repaired.changed.join('; ')}`,
      ],
    };
  }
  return {
    ok: false,
    warnings: parsed.warnings,
    issues,
    error: `output does not match the schema: ${describeIssues(issues)}`,
  };
}

/** `"/age: must be integer; (root): must have required property 'name'"`. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
}

/** The user message that re-asks the model after an invalid answer, quoting the validation errors. */
export function repairPrompt(issues: readonly ValidationIssue[]): string {
  const lines = issues.map((issue) => `- ${issue.path || '(root)'}: ${issue.message}`);
  return [
    'Your previous answer did not match the required JSON schema:',
    ...lines,
    'Reply again with only the corrected JSON value, with no other text.',
  ].join('\n');
}
