import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { compileOutputSchema } from './output-schema.js';
import { readOutput, repairPrompt } from './read-output.js';

const person = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer', minimum: 0 },
    email: { type: 'string', format: 'email' },
  },
  required: ['name', 'age', 'email'],
  additionalProperties: false,
};

describe('OpenAI strict mode compatibility', () => {
  it.each([
    ['every property required and objects closed', person, true],
    ['an optional property', { ...person, required: ['name'] }, false],
    ['an object that allows extra properties', { ...person, additionalProperties: true }, false],
    [
      'an unsupported keyword (minLength)',
      { ...person, properties: { ...person.properties, name: { type: 'string', minLength: 1 } } },
      false,
    ],
    ['a root that is not an object', { type: 'array', items: { type: 'string' } }, false],
    [
      'nested objects and nullable fields via anyOf',
      {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                sku: { type: 'string' },
                note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
              },
              required: ['sku', 'note'],
              additionalProperties: false,
            },
          },
        },
        required: ['items'],
        additionalProperties: false,
      },
      true,
    ],
  ])('%s → strict %s', (_name, schema, strict) => {
    expect(compileOutputSchema(schema).strict).toBe(strict);
  });

  it('turns a zod object into a closed JSON Schema: strict when every field is required, not when one is optional', () => {
    const required = compileOutputSchema(
      z.object({ label: z.enum(['spam', 'ham']), score: z.number() }),
      'label',
    );
    expect(required.jsonSchema).toEqual({
      type: 'object',
      properties: { label: { type: 'string', enum: ['spam', 'ham'] }, score: { type: 'number' } },
      required: ['label', 'score'],
      additionalProperties: false,
    });
    expect(required.strict).toBe(true);
    expect(required.name).toBe('label');
    expect(compileOutputSchema(z.object({ label: z.string(), note: z.string().optional() })).strict).toBe(
      false,
    );
  });
});

describe('validation', () => {
  it('reports JSON Schema issues as JSON Pointers with the validator message', () => {
    const schema = compileOutputSchema(person);
    expect(schema.validate({ name: 'Ada', age: 36, email: 'ada@example.com' })).toBeUndefined();
    expect(schema.validate({ name: 'Ada', age: -1, email: 'not an email', extra: 1 })).toEqual([
      { path: '', message: 'must NOT have additional properties (extra)' },
      { path: '/age', message: 'must be >= 0' },
      { path: '/email', message: 'must match format "email"' },
    ]);
  });

  it('reports zod issues with their paths', () => {
    const schema = compileOutputSchema(z.object({ items: z.array(z.object({ qty: z.number().int() })) }));
    expect(schema.validate({ items: [{ qty: 1 }, { qty: 1.5 }] })).toEqual([
      { path: '/items/1/qty', message: 'Invalid input: expected int, received number' },
    ]);
  });

  it('rejects a schema ajv cannot compile, naming the job field', () => {
    expect(() => compileOutputSchema({ type: 'object', properties: { a: { type: 'strin' } } })).toThrow(
      /^job\.schema is not a valid JSON Schema: /,
    );
  });
});

describe('reading output against a schema', () => {
  it('repairs types locally with a warning naming each change', () => {
    const schema = compileOutputSchema(person);
    const read = readOutput('{"name": "Ada", "age": "36", "email": "ada@example.com"}', 'json', schema);
    expect(read).toEqual({
      ok: true,
      value: { name: 'Ada', age: 36, email: 'ada@example.com' },
      warnings: ['converted values to the schema\'s types: /age: "36" → 36'],
    });
  });

  it('keeps the JSON repair warnings too', () => {
    const schema = compileOutputSchema(z.object({ ok: z.boolean() }));
    const read = readOutput("```json\n{'ok': True,}\n```", 'json', schema);
    expect(read.ok).toBe(true);
    expect(read.warnings[0]).toBe('extracted JSON from a fenced code block');
    expect(read.warnings.length).toBeGreaterThan(1);
  });

  it('returns the issues when nothing local fixes the output, and words a re-ask from them', () => {
    const schema = compileOutputSchema(person);
    const read = readOutput('{"name": "Ada"}', 'json', schema);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.issues).toEqual([
      { path: '', message: "must have required property 'age'" },
      { path: '', message: "must have required property 'email'" },
    ]);
    expect(repairPrompt(read.issues)).toBe(
      [
        'Your previous answer did not match the required JSON schema:',
        "- (root): must have required property 'age'",
        "- (root): must have required property 'email'",
        'Reply again with only the corrected JSON value, with no other text.',
      ].join('\n'),
    );
  });

  it('treats output with no JSON at all as one root issue', () => {
    const read = readOutput('Sorry, I cannot.', 'json', compileOutputSchema(person));
    expect(read).toMatchObject({
      ok: false,
      issues: [{ path: '', message: 'no JSON found in model output' }],
    });
  });
});
