import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { baseUrl, errorBody, useMockApi } from '../../test/support/mock-api.js';
import { createClient } from '../client.js';
import { NotFoundError } from '../errors.js';
import { reconnectingEventStream } from './event-stream.js';
import { parseServerSentEvents, type ServerSentEvent } from './server-sent-events.js';

const server = useMockApi();
const encoder = new TextEncoder();

/**
 * A byte stream of `chunks`, then closed, or errored with `failure` a moment after the chunks went out
 * (a connection dropped mid-stream).
 */
function byteStream(chunks: string[], failure?: Error): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (failure === undefined) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.error(failure);
    },
  });
}

async function collect(
  events: AsyncIterable<ServerSentEvent>,
): Promise<Pick<ServerSentEvent, 'event' | 'data' | 'id'>[]> {
  const all: Pick<ServerSentEvent, 'event' | 'data' | 'id'>[] = [];
  for await (const { event, data, id } of events) all.push({ event, data, id });
  return all;
}

describe('parseServerSentEvents', () => {
  it('parses fields split across chunks, CRLF, comments, multi-line data, carried ids and retry', async () => {
    const stream = byteStream([
      ': keep-alive\r\nid: 1\r',
      '\nevent: progress\ndata: {"done":1}\n\n',
      'data: line one\ndata: line two\n\nretry: 250\nevent: job-end\nid: 2\ndata:',
      ' {}\n\n',
      'event: ignored-without-data\n\n',
    ]);
    const events: ServerSentEvent[] = [];
    for await (const event of parseServerSentEvents(stream)) events.push(event);
    expect(events).toEqual([
      { event: 'progress', data: '{"done":1}', id: '1', retryMs: undefined },
      { event: 'message', data: 'line one\nline two', id: '1', retryMs: undefined },
      { event: 'job-end', data: '{}', id: '2', retryMs: 250 },
    ]);
  });
});

describe('reconnectingEventStream', () => {
  it('reconnects after a dropped connection with Last-Event-ID and loses nothing', async () => {
    const lastEventIds: (string | null)[] = [];
    server.use(
      http.get(`${baseUrl}/v1/jobs/job-1/events`, ({ request }) => {
        const lastEventId = request.headers.get('last-event-id');
        lastEventIds.push(lastEventId);
        const body =
          lastEventId === null
            ? byteStream(
                ['retry: 5\nid: 1\ndata: a\n\n', 'id: 2\ndata: b\n\n', 'id: 3\nda'],
                new Error('socket hang up'),
              )
            : byteStream(['id: 3\ndata: c\n\n', 'id: 4\nevent: job-end\ndata: d\n\n']);
        return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
      }),
    );
    const client = createClient({ baseUrl });
    const events = reconnectingEventStream(
      ({ lastEventId, signal }) =>
        client.request('/v1/jobs/job-1/events', {
          headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
          ...(signal === undefined ? {} : { signal }),
        }),
      { isLastEvent: (event) => event.event === 'job-end' },
    );
    expect(await collect(events)).toEqual([
      { event: 'message', data: 'a', id: '1' },
      { event: 'message', data: 'b', id: '2' },
      { event: 'message', data: 'c', id: '3' },
      { event: 'job-end', data: 'd', id: '4' },
    ]);
    expect(lastEventIds).toEqual([null, '2']);
  });

  it('resumes a stream that closes before the last event, and ends after it', async () => {
    let connections = 0;
    const open = async () => {
      connections += 1;
      return new Response(
        byteStream(connections === 1 ? ['id: 1\ndata: a\n\n'] : ['id: 2\nevent: job-end\ndata: b\n\n']),
      );
    };
    const events = reconnectingEventStream(open, {
      reconnectDelayMs: 1,
      isLastEvent: (event) => event.event === 'job-end',
    });
    expect((await collect(events)).map((event) => event.data)).toEqual(['a', 'b']);
    expect(connections).toBe(2);
  });

  it('gives up after maxReconnects failures in a row, and never retries a 404', async () => {
    let attempts = 0;
    const dropping = async () => {
      attempts += 1;
      return new Response(byteStream([], new Error('reset')));
    };
    await expect(
      collect(reconnectingEventStream(dropping, { maxReconnects: 2, reconnectDelayMs: 1 })),
    ).rejects.toMatchObject({
      code: 'connection-error',
    });
    expect(attempts).toBe(3);

    let notFoundAttempts = 0;
    server.use(
      http.get(`${baseUrl}/v1/jobs/gone/events`, () => {
        notFoundAttempts += 1;
        return HttpResponse.json(errorBody('not-found', 'No such job', 'req-5'), { status: 404 });
      }),
    );
    const client = createClient({ baseUrl });
    await expect(
      collect(reconnectingEventStream(() => client.request('/v1/jobs/gone/events'))),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(notFoundAttempts).toBe(1);
  });

  it('a 204 answer ends the stream without events', async () => {
    const events = reconnectingEventStream(async () => new Response(null, { status: 204 }));
    expect(await collect(events)).toEqual([]);
  });
});
