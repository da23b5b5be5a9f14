import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generatedTypesFile, generateOpenApiTypes } from './support/openapi-codegen.js';

describe('src/generated/openapi.ts', () => {
  it('is exactly what openapi-typescript makes of the committed openapi.json (run `pnpm --filter @llmbatch/sdk run generate`)', async () => {
    const committed = await readFile(generatedTypesFile, 'utf8');
    expect(committed.startsWith('// generated — do not edit.')).toBe(true);
    expect(committed === (await generateOpenApiTypes())).toBe(true);
  });
});
