import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateOpenApiDocument } from '../http/openapi-document.js';
import { defaultRouteModules } from '../server.js';

/** Where the committed OpenAPI document lives (the SDK is generated from it). */
export const openApiFile = fileURLToPath(new URL('../../openapi.json', import.meta.url));

/**
 * The text of `openapi.json`: the generated document, pretty-printed, with a final newline.
 *
 * @example
 * ```ts
 * await writeFile(openApiFile, await openApiFileText());
 * ```
 */
export async function openApiFileText(): Promise<string> {
  return `${JSON.stringify(await generateOpenApiDocument(defaultRouteModules), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(openApiFile, await openApiFileText());
  process.stdout.write(`wrote ${openApiFile}\n`);
}
