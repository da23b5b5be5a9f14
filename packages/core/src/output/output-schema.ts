import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats, { type FormatsPlugin } from 'ajv-formats';
import * as z from 'zod';
import { LLMBatchError } from '../errors.js';
import type { JsonValue } from '../types.js';
import { coercedPaths } from './coerce-paths.js';
import { isStrictCompatible } from './strict-schema.js';

/**
 * One reason a model's output does not match the job's schema.
 *
 * @example
 * ```ts
 * const issue: ValidationIssue = { path: '/age', message: 'must be integer' };
 * ```
 */
export interface ValidationIssue {
  /** JSON Pointer to the offending value (`''` is the whole output, `/items/0/name` a nested field). */
  path: string;
  /** What is wrong, as the validator says it. */
  message: string;
}

/**
 * The schema a job's output must match: a zod schema (for code that has one) or a JSON Schema object
 * (2020-12; for the CLI and the server, which receive schemas as data).
 *
 * @example
 * ```ts
 * const fromZod: OutputSchema = z.object({ sentiment: z.enum(['positive', 'negative']) });
 * const fromJson: OutputSchema = { type: 'object', properties: { sentiment: { enum: ['positive', 'negative'] } } };
 * ```
 */
export type OutputSchema = z.ZodType | Record<string, unknown>;

/**
 * A job schema prepared once per run: what to send the provider and how to check what comes back.
 *
 * @example
 * ```ts
 * const compiled: CompiledOutputSchema = compileOutputSchema(z.object({ label: z.string() }), 'label');
 * compiled.strict; // true
 * ```
 */
export interface CompiledOutputSchema {
  /** Name sent with the schema (OpenAI `json_schema.name`, Anthropic tool name). */
  readonly name: string;
  /** The JSON Schema sent to the provider (without `$schema`). */
  readonly jsonSchema: Record<string, JsonValue>;
  /** Whether the schema meets OpenAI's strict structured-output rules, so `strict: true` can be sent. */
  readonly strict: boolean;
  /** Stable text of the schema, part of dedup and cache keys. */
  readonly fingerprint: string;
  /** The issues of `value`, or `undefined` when it matches. */
  validate(value: JsonValue): ValidationIssue[] | undefined;
  /**
   * Tries local repair: converts values to the types the schema asks for (`"42"` → `42`,
   * `"true"` → `true`). Returns the repaired copy with the paths it changed when that copy matches.
   */
  coerce(value: JsonValue): { value: JsonValue; changed: string[] } | undefined;
}

const maxIssues = 20;
const draft2020 = 'https://json-schema.org/draft/2020-12/schema';
// ajv-formats is CommonJS: its plugin is the module itself in ESM and `.default` through bundlers.
const addFormats = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ??
  ajvFormats) as unknown as FormatsPlugin;

/** True for zod 4 schemas (they carry a `_zod` internals object). */
export function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    '_zod' in value &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

function newAjv(coerceTypes: boolean): Ajv2020 {
  // Lenient about unknown keywords (schemas come from users and carry vendor extensions); silent, since
  // the engine never writes to the console.
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false, coerceTypes });
  addFormats(ajv);
  return ajv;
}

function pointer(path: readonly PropertyKey[]): string {
  return path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function ajvIssues(errors: readonly ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).slice(0, maxIssues).map((error) => {
    const extra = error.params as { additionalProperty?: unknown; allowedValues?: unknown };
    let message = error.message ?? `fails ${error.keyword}`;
    if (typeof extra.additionalProperty === 'string') message += ` (${extra.additionalProperty})`;
    if (Array.isArray(extra.allowedValues)) message += `: ${JSON.stringify(extra.allowedValues)}`;
    return { path: error.instancePath, message };
  });
}

function compileWith(ajv: Ajv2020, schema: Record<string, unknown>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new LLMBatchError({
      code: 'invalid-options',
      message: `job.schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}

/** Marks zod objects closed (zod strips unknown keys, so the model should not send any). */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) closeObjects(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (
    record.type === 'object' &&
    record.properties !== undefined &&
    record.additionalProperties === undefined
  ) {
    record.additionalProperties = false;
  }
  for (const value of Object.values(record)) closeObjects(value);
}

function zodToJsonSchema(schema: z.ZodType): Record<string, unknown> {
  try {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    closeObjects(json);
    return json as Record<string, unknown>;
  } catch (error) {
    throw new LLMBatchError({
      code: 'invalid-options',
      message: `job.schema (a zod schema) cannot be turned into JSON Schema: ${String(error)}`,
      cause: error,
    });
  }
}

/**
 * Prepares a job's output schema once per run: the JSON Schema to send, whether OpenAI's strict mode
 * accepts it, and a validator (zod's own for zod schemas, ajv with the 2020-12 draft and formats for
 * JSON Schema). Throws `invalid-options` when the schema cannot be compiled.
 *
 * @example
 * ```ts
 * const schema = compileOutputSchema({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
 * schema.validate({ n: 'x' }); // [{ path: '/n', message: 'must be integer' }]
 * ```
 */
export function compileOutputSchema(schema: OutputSchema, name = 'output'): CompiledOutputSchema {
  const zodSchema = isZodSchema(schema) ? schema : undefined;
  const source = zodSchema === undefined ? (schema as Record<string, unknown>) : zodToJsonSchema(zodSchema);
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    throw new LLMBatchError({ code: 'invalid-options', message: 'job.schema must be a JSON Schema object' });
  }
  const { $schema, ...rest } = source;
  // Validated as 2020-12 whatever the declared draft: the keywords models are asked for mean the same.
  const forAjv = $schema === undefined || $schema === draft2020 ? source : rest;
  const jsonSchema = rest as Record<string, JsonValue>;
  const validateJson = zodSchema === undefined ? compileWith(newAjv(false), forAjv) : undefined;
  let coercer: ValidateFunction | undefined;

  const validate = (value: JsonValue): ValidationIssue[] | undefined => {
    if (zodSchema !== undefined) {
      const parsed = zodSchema.safeParse(value);
      if (parsed.success) return undefined;
      return parsed.error.issues
        .slice(0, maxIssues)
        .map((issue) => ({ path: pointer(issue.path), message: issue.message }));
    }
    if (validateJson?.(value) === true) return undefined;
    return ajvIssues(validateJson?.errors);
  };

  return {
    name,
    jsonSchema,
    strict: isStrictCompatible(jsonSchema),
    fingerprint: JSON.stringify(jsonSchema),
    validate,
    coerce(value) {
      if (value === null || typeof value !== 'object') return undefined;
      coercer ??= compileWith(newAjv(true), forAjv);
      const copy = structuredClone(value);
      coercer(copy);
      const changed = coercedPaths(value, copy);
      if (changed.length === 0 || validate(copy) !== undefined) return undefined;
      return { value: copy, changed };
    },
  };
}
