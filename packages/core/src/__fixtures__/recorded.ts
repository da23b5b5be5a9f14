import { readFileSync } from 'node:fs';

/** A provider response recorded from the real API (ids and keys replaced), as status, headers and body. */
export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Reads `src/__fixtures__/<name>.json`, e.g. `recorded('anthropic/overloaded-529')`. */
export function recorded(name: string): RecordedResponse {
  return JSON.parse(readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8')) as RecordedResponse;
}
