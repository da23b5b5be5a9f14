import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ExtractResult, extractJson } from './extract-json.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../__fixtures__/model-outputs/${name}.txt`, import.meta.url), 'utf8');
}

interface Case {
  name: string;
  input: string;
  expected: ExtractResult;
}

const fenced = 'extracted JSON from a fenced code block';
const surrounded = 'extracted JSON from surrounding text';
const thought = 'removed a <think> reasoning block before the answer';
const noJson = 'no JSON found in model output';

const cases: Case[] = [
  // The whole output is JSON: any value, no warnings.
  {
    name: 'plain object',
    input: '{"sentiment": "positive", "score": 0.92}',
    expected: { ok: true, value: { sentiment: 'positive', score: 0.92 }, warnings: [] },
  },
  {
    name: 'top-level array of objects',
    input: '[{"id": 1, "label": "spam"}, {"id": 2, "label": "ham"}]',
    expected: {
      ok: true,
      value: [
        { id: 1, label: 'spam' },
        { id: 2, label: 'ham' },
      ],
      warnings: [],
    },
  },
  { name: 'top-level number', input: '42', expected: { ok: true, value: 42, warnings: [] } },
  {
    name: 'negative exponent number with whitespace',
    input: ' -3.5e2 \n',
    expected: { ok: true, value: -350, warnings: [] },
  },
  { name: 'top-level string', input: '"positive"', expected: { ok: true, value: 'positive', warnings: [] } },
  { name: 'top-level boolean', input: 'true', expected: { ok: true, value: true, warnings: [] } },
  { name: 'top-level null', input: 'null', expected: { ok: true, value: null, warnings: [] } },
  { name: 'empty array', input: '[]', expected: { ok: true, value: [], warnings: [] } },
  {
    name: 'byte order mark and blank lines around an object',
    input: '\uFEFF\n  {"a": 1}\n\n',
    expected: { ok: true, value: { a: 1 }, warnings: [] },
  },
  {
    name: 'unicode and emoji',
    input: '{"title": "Café ☕", "emoji": "🎉", "jp": "日本語", "escaped": "\\u00e9"}',
    expected: {
      ok: true,
      value: { title: 'Café ☕', emoji: '🎉', jp: '日本語', escaped: 'é' },
      warnings: [],
    },
  },
  {
    name: 'escaped quotes and braces inside strings',
    input: 'Result: {"code": "if (x) { return \\"}\\"; }", "path": "C:\\\\tmp\\\\[1]"} done',
    expected: {
      ok: true,
      value: { code: 'if (x) { return "}"; }', path: 'C:\\tmp\\[1]' },
      warnings: [surrounded],
    },
  },
  {
    name: 'deeply nested',
    input: '{"user": {"name": "Ada", "roles": ["admin", {"scope": "all"}]}, "depth": [[1, [2, [3]]]]}',
    expected: {
      ok: true,
      value: { user: { name: 'Ada', roles: ['admin', { scope: 'all' }] }, depth: [[1, [2, [3]]]] },
      warnings: [],
    },
  },
  // Fenced code blocks.
  {
    name: 'json fence with prose around it',
    input: fixture('fenced-with-explanation'),
    expected: {
      ok: true,
      value: {
        sentiment: 'negative',
        score: -0.75,
        aspects: ['battery', 'customer service'],
        summary: 'Battery died after two days; support never replied.',
      },
      warnings: [fenced],
    },
  },
  {
    name: 'fence without a language tag',
    input: 'Output:\n```\n["a", "b"]\n```',
    expected: { ok: true, value: ['a', 'b'], warnings: [fenced] },
  },
  {
    name: 'tilde fence',
    input: '~~~json\n{"ok": true}\n~~~',
    expected: { ok: true, value: { ok: true }, warnings: [fenced] },
  },
  {
    name: 'fence with CRLF line ends',
    input: 'Here:\r\n```json\r\n{\r\n  "a": 1\r\n}\r\n```\r\n',
    expected: { ok: true, value: { a: 1 }, warnings: [fenced] },
  },
  {
    name: 'two JSON fences: the first wins',
    input: 'First try:\n```json\n{"v": 1}\n```\nOr alternatively:\n```json\n{"v": 2}\n```',
    expected: { ok: true, value: { v: 1 }, warnings: ['took the first of 2 fenced blocks'] },
  },
  {
    name: 'a code fence before the JSON fence',
    input: fixture('code-block-before-json'),
    expected: {
      ok: true,
      value: [
        { id: 1, ok: true },
        { id: 2, ok: false },
      ],
      warnings: ['skipped 1 fenced block that was not JSON'],
    },
  },
  {
    name: 'a shell fence, the JSON fence, then another fence',
    input: '```bash\ncurl -s api\n```\n```json\n{"a": 1}\n```\n```json\n{"a": 2}\n```',
    expected: {
      ok: true,
      value: { a: 1 },
      warnings: ['skipped 1 fenced block that was not JSON', 'ignored 1 later fenced block'],
    },
  },
  {
    name: 'fenced bare string',
    input: '```json\n"neutral"\n```',
    expected: { ok: true, value: 'neutral', warnings: [fenced] },
  },
  {
    name: 'closing fence glued to the last line',
    input: '```json\n{"done": true}```',
    expected: { ok: true, value: { done: true }, warnings: [fenced] },
  },
  {
    name: 'fenced object with a trailing comma',
    input: '```json\n{\n  "label": "spam",\n  "score": 0.9,\n}\n```',
    expected: {
      ok: true,
      value: { label: 'spam', score: 0.9 },
      warnings: [fenced, 'repaired trailing comma'],
    },
  },
  {
    name: 'truncated inside an unclosed fence (max tokens)',
    input: fixture('truncated-max-tokens'),
    expected: {
      ok: true,
      value: {
        entities: [
          { name: 'Ada Lovelace', type: 'person' },
          { name: 'London', type: 'place' },
          { name: 'Analytical Engine', type: 'thi' },
        ],
      },
      warnings: [fenced, 'repaired truncated JSON (closed an unterminated string, added 3 closing brackets)'],
    },
  },
  // JSON in prose.
  {
    name: 'object in chatty prose',
    input:
      'Sure! Here is the result: {"name": "Widget", "price": 9.99} Let me know if you need anything else.',
    expected: { ok: true, value: { name: 'Widget', price: 9.99 }, warnings: [surrounded] },
  },
  {
    name: 'array in a sentence',
    input: 'The extracted cities are: ["Paris", "Lyon", "Nice"].',
    expected: { ok: true, value: ['Paris', 'Lyon', 'Nice'], warnings: [surrounded] },
  },
  {
    name: 'object on its own line between paragraphs, placeholder braces after it',
    input: fixture('prose-wrapped-claude'),
    expected: {
      ok: true,
      value: { category: 'billing', priority: 'high', needs_human: true, tags: ['refund', 'double-charge'] },
      warnings: [surrounded],
    },
  },
  {
    name: 'prose brackets and placeholders before the JSON',
    input: 'As requested [see your spec], filled in for {name}:\n{"name": "Bob", "age": 41}',
    expected: { ok: true, value: { name: 'Bob', age: 41 }, warnings: [surrounded] },
  },
  {
    name: 'braces and brackets inside string values in prose',
    input: 'Here: {"template": "Hello {name}, see [docs]", "n": 2} Done.',
    expected: { ok: true, value: { template: 'Hello {name}, see [docs]', n: 2 }, warnings: [surrounded] },
  },
  // Broken JSON.
  {
    name: 'trailing commas in an object and an array',
    input: '{"a": [1, 2,], "b": 3,}',
    expected: { ok: true, value: { a: [1, 2], b: 3 }, warnings: ['repaired 2 trailing commas'] },
  },
  {
    name: 'single-quoted strings with an escaped quote',
    input: "{'name': 'O\\'Brien', 'age': 30}",
    expected: { ok: true, value: { name: "O'Brien", age: 30 }, warnings: ['repaired single-quoted strings'] },
  },
  {
    name: 'unquoted keys',
    input: '{name: "Ada", born: 1815}',
    expected: { ok: true, value: { name: 'Ada', born: 1815 }, warnings: ['repaired unquoted keys'] },
  },
  {
    name: 'Python dict in prose',
    input: fixture('python-dict'),
    expected: {
      ok: true,
      value: { is_valid: true, errors: null, warnings: ['date format', 'missing currency'], checked: false },
      warnings: [
        surrounded,
        'repaired single-quoted strings',
        'repaired Python literals (True, None, False)',
      ],
    },
  },
  {
    name: 'line and block comments',
    input: '{\n  // the label\n  "label": "spam", /* confidence */ "score": 0.8\n}',
    expected: { ok: true, value: { label: 'spam', score: 0.8 }, warnings: ['removed comments'] },
  },
  {
    name: 'truncated after a complete value',
    input: '{"summary": "The quick brown fox", "keywords": ["fox", "dog"',
    expected: {
      ok: true,
      value: { summary: 'The quick brown fox', keywords: ['fox', 'dog'] },
      warnings: ['repaired truncated JSON (added 2 closing brackets)'],
    },
  },
  {
    name: 'truncated inside a string in prose',
    input: 'Here you go:\n[{"text": "hello"}, {"text": "wor',
    expected: {
      ok: true,
      value: [{ text: 'hello' }, { text: 'wor' }],
      warnings: [
        surrounded,
        'repaired truncated JSON (closed an unterminated string, added 2 closing brackets)',
      ],
    },
  },
  {
    name: 'smart quotes',
    input: '{“label”: “positive”, “score”: 1}',
    expected: { ok: true, value: { label: 'positive', score: 1 }, warnings: ['repaired smart quotes'] },
  },
  {
    name: 'missing commas between lines',
    input: '{\n  "a": 1\n  "b": "two"\n}',
    expected: { ok: true, value: { a: 1, b: 'two' }, warnings: ['repaired missing commas'] },
  },
  {
    name: 'mismatched brackets',
    input: '{"ids": [1, 2}',
    expected: { ok: true, value: { ids: [1, 2] }, warnings: ['repaired mismatched brackets'] },
  },
  {
    name: 'NaN and undefined',
    input: '{"score": NaN, "note": undefined}',
    expected: {
      ok: true,
      value: { score: 'NaN', note: null },
      warnings: ['repaired non-JSON values (NaN, undefined)'],
    },
  },
  {
    name: 'number out of range',
    input: '{"big": 1e400}',
    expected: { ok: true, value: { big: null }, warnings: ['replaced 1 out-of-range number with null'] },
  },
  // Reasoning preambles.
  {
    name: '<think> block with braces before the answer',
    input: fixture('think-with-braces'),
    expected: { ok: true, value: { label: 'spam', confidence: 0.93 }, warnings: [thought] },
  },
  {
    name: '<think> block before a fenced answer',
    input: '<think>Should I use [1] or {"a": 0}?</think>\n```json\n{"a": 1}\n```',
    expected: { ok: true, value: { a: 1 }, warnings: [thought, fenced] },
  },
  {
    name: 'reasoning whose opening tag was in the prompt',
    input: 'Okay, the schema is {"a": number}.\n</think>\n\n{"a": 7}',
    expected: {
      ok: true,
      value: { a: 7 },
      warnings: ['removed reasoning text ending in </think> before the answer'],
    },
  },
  {
    name: 'model stopped while still reasoning',
    input: '<think>The answer is {"a": 1} unless',
    expected: { ok: false, warnings: [], error: 'model output ends inside an unclosed <think> block' },
  },
  {
    name: 'reasoning and no answer',
    input: '<thinking>Hmm.</thinking>\n',
    expected: {
      ok: false,
      warnings: ['removed a <thinking> reasoning block before the answer'],
      error: 'model output contains only reasoning, no answer',
    },
  },
  // No JSON at all.
  { name: 'empty output', input: '', expected: { ok: false, warnings: [], error: 'model output is empty' } },
  {
    name: 'whitespace only',
    input: ' \n\t\r\n ',
    expected: { ok: false, warnings: [], error: 'model output is empty' },
  },
  {
    name: 'a number inside a sentence',
    input: 'The answer is 42.',
    expected: { ok: false, warnings: [], error: noJson },
  },
  {
    name: 'a refusal',
    input: "I'm sorry, but I can't help with that request.",
    expected: { ok: false, warnings: [], error: noJson },
  },
  {
    name: 'prose with placeholder braces and brackets only',
    input: 'Use the {placeholder} syntax [like this] in your template.',
    expected: { ok: false, warnings: [], error: noJson },
  },
  {
    name: 'only a code fence that is not JSON',
    input: '```python\nprint({"a": 1})\n```',
    expected: { ok: false, warnings: ['skipped 1 fenced block that was not JSON'], error: noJson },
  },
  {
    name: 'bare word that jsonrepair would turn into a string',
    input: 'positive',
    expected: { ok: false, warnings: [], error: noJson },
  },
];

describe('extractJson', () => {
  it.each(cases)('$name', ({ input, expected }) => {
    expect(extractJson(input)).toEqual(expected);
  });
});
