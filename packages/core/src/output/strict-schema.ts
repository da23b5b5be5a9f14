/**
 * Keywords OpenAI's strict structured outputs accept. A schema using anything else is sent with
 * `strict: false` (the provider treats it as guidance) and still validated in full locally.
 */
const strictKeywords = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'description',
  'title',
  'pattern',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'minItems',
  'maxItems',
]);

/**
 * True when `schema` follows OpenAI's strict-mode rules: the root is an object; every object lists all
 * its properties in `required` and sets `additionalProperties: false`; only supported keywords appear.
 * Optional fields are therefore not strict: express them as `anyOf: [T, { type: 'null' }]`.
 */
export function isStrictCompatible(schema: Record<string, unknown>): boolean {
  if (schema.type !== 'object') return false;
  return strictNode(schema, 0);
}

function strictNode(node: unknown, depth: number): boolean {
  if (depth > 64) return false;
  if (node === true || node === false) return false;
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!strictKeywords.has(key)) return false;
  const isObject = record.type === 'object' || (Array.isArray(record.type) && record.type.includes('object'));
  if (isObject || record.properties !== undefined) {
    const properties = (record.properties ?? {}) as Record<string, unknown>;
    const required = Array.isArray(record.required) ? record.required : [];
    if (record.additionalProperties !== false) return false;
    for (const key of Object.keys(properties)) if (!required.includes(key)) return false;
    for (const value of Object.values(properties)) if (!strictNode(value, depth + 1)) return false;
  }
  if (record.items !== undefined && !strictNode(record.items, depth + 1)) return false;
  if (record.anyOf !== undefined) {
    if (!Array.isArray(record.anyOf)) return false;
    for (const option of record.anyOf) if (!strictNode(option, depth + 1)) return false;
  }
  for (const definitions of [record.$defs, record.definitions]) {
    if (definitions === undefined) continue;
    if (definitions === null || typeof definitions !== 'object') return false;
    for (const value of Object.values(definitions)) if (!strictNode(value, depth + 1)) return false;
  }
  return true;
}
