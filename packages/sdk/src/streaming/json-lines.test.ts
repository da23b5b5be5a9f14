import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { baseUrl, useMockApi } from '../../test/support/mock-api.js';
import { createClient } from '../client.js';
import { JsonLinesParseError, readJsonLines } from './json-lines.js';

const server = useMockApi();
const encoder = new TextEncoder();

function byteStream(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('readJsonLines', () => {
  it('streams typed rows from a JSONL response, across chunk boundaries and multi-byte characters', async () => {
    const euro = encoder.encode('€');
    server.use(
      http.get(`${baseUrl}/v1/jobs/job-1/results`, () => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode('{"id":"r1","label":"ok"}\n{"id":"r2","lab'));
            controller.enqueue(encoder.encode('el":"'));
            // Split the euro sign's three bytes over two chunks.
            controller.enqueue(euro.slice(0, 1));
            controller.enqueue(euro.slice(1));
            controller.enqueue(encoder.encode('"}\r\n\n{"id":"r3","label":null}'));
            controller.close();
          },
        });
        return new HttpResponse(body, { headers: { 'content-type': 'application/x-ndjson' } });
      }),
    );
    const response = await createClient({ baseUrl }).request('/v1/jobs/job-1/results');
    const rows: { id: string; label: string | null }[] = [];
    if (response.body === null) throw new Error('no body');
    for await (const row of readJsonLines<{ id: string; label: string | null }>(response.body))
      rows.push(row);
    expect(rows).toEqual([
      { id: 'r1', label: 'ok' },
      { id: 'r2', label: '€' },
      { id: 'r3', label: null },
    ]);
  });

  it('names the line that is not JSON', async () => {
    const rows = readJsonLines(byteStream(['{"a":1}\n\n{"a":', '2}\n{broken\n']));
    await expect(
      (async () => {
        for await (const _row of rows);
      })(),
    ).rejects.toSatisfy((error) => error instanceof JsonLinesParseError && error.line === 4);
  });

  it('cancels the stream when the loop breaks early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"n":1}\n{"n":2}\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _row of readJsonLines(stream)) break;
    expect(cancelled).toBe(true);
  });
});
