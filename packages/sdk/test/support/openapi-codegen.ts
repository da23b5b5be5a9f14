import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';

/** The server's committed OpenAPI document, the single source of the SDK's types. */
export const openApiDocumentFile = fileURLToPath(
  new URL('../../../server-reference/openapi.json', import.meta.url),
);

/** Where the generated types are committed. */
export const generatedTypesFile = fileURLToPath(new URL('../../src/generated/openapi.ts', import.meta.url));

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const biome = fileURLToPath(new URL('../../../../node_modules/.bin/biome', import.meta.url));

/** Formats TypeScript the way the repository's biome configuration does (so `biome ci` passes). */
async function formatWithBiome(source: string): Promise<string> {
  const child = promisify(execFile)(
    biome,
    ['format', '--stdin-file-path=packages/sdk/src/generated/openapi.ts'],
    {
      cwd: repositoryRoot,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  child.child.stdin?.end(source);
  return (await child).stdout;
}

const header = `// generated — do not edit.
// Source: packages/server-reference/openapi.json. Regenerate with \`pnpm --filter @llmbatch/sdk run generate\`.
// biome-ignore-all lint: generated code
// biome-ignore-all assist: generated code
`;

/**
 * The text of `src/generated/openapi.ts` for the committed OpenAPI document.
 *
 * @example
 * ```ts
 * await writeFile(generatedTypesFile, await generateOpenApiTypes());
 * ```
 */
export async function generateOpenApiTypes(): Promise<string> {
  const document: unknown = JSON.parse(await readFile(openApiDocumentFile, 'utf8'));
  const nodes = await openapiTS(document as Parameters<typeof openapiTS>[0], {
    alphabetize: false,
    exportType: false,
    // A default makes a field optional to send; answers have no defaults (the server fills them in).
    defaultNonNullable: false,
  });
  return formatWithBiome(`${header}\n${astToString(nodes)}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(generatedTypesFile, await generateOpenApiTypes());
  process.stdout.write(`wrote ${generatedTypesFile}\n`);
}
