import type { IncomingMessage, ServerResponse } from 'node:http';
import { anthropicFormat } from './anthropic-format.js';
import { openAIFormat } from './openai-format.js';
import type { WireFormat } from './wire-format.js';

/** The chat endpoints the fake serves, by URL path (POST only). */
const routes: ReadonlyMap<string, WireFormat> = new Map([
  ['/v1/chat/completions', openAIFormat],
  ['/v1/messages', anthropicFormat],
]);

/** A request matched to the API it speaks. */
export interface Route {
  /** The API format for this path. */
  format: WireFormat;
  /** The URL path without its query string. */
  path: string;
}

/**
 * Finds the API a request speaks, or answers it with the 404 OpenAI sends for an unknown URL and
 * returns `undefined`.
 */
export function routeOrNotFound(incoming: IncomingMessage, response: ServerResponse): Route | undefined {
  const url = incoming.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const format = incoming.method === 'POST' ? routes.get(path) : undefined;
  if (format !== undefined) return { format, path };
  const body = openAIFormat.errorBody(404, `Invalid URL (${incoming.method ?? 'GET'} ${path})`);
  response.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
  return undefined;
}
