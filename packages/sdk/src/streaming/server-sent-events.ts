/**
 * One event of a `text/event-stream`.
 *
 * @example
 * ```ts
 * const event: ServerSentEvent = { event: 'progress', data: '{"done":3}', id: '3', retryMs: undefined };
 * ```
 */
export interface ServerSentEvent {
  /** The `event:` field. @default 'message' */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
  /** The last `id:` seen on the stream so far (what `Last-Event-ID` resends), if any. */
  id: string | undefined;
  /** The reconnection delay the server asked for with a `retry:` line in this event's block, in milliseconds. */
  retryMs: number | undefined;
}

/**
 * Splits a byte stream into lines (`\n`, `\r\n` or `\r`), decoding UTF-8 across chunk boundaries.
 * Breaking out of the loop cancels the stream.
 *
 * @example
 * ```ts
 * for await (const line of readLines(response.body)) console.log(line);
 * ```
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A trailing `\r` may be the first half of `\r\n`; wait for the next chunk unless this is the end.
      const pattern = /\r\n|\r(?!$)|\n/g;
      let start = 0;
      for (let match = pattern.exec(buffer); match !== null; match = pattern.exec(buffer)) {
        yield buffer.slice(start, match.index);
        start = match.index + match[0].length;
      }
      buffer = buffer.slice(start);
      if (done) {
        finished = true;
        const rest = buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer;
        if (buffer !== '') yield rest;
        return;
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * Parses a `text/event-stream` body into events, following the HTML living standard (comments
 * ignored, multi-line `data`, `id` carried over, `retry` reported).
 *
 * @example
 * ```ts
 * for await (const event of parseServerSentEvents(response.body)) console.log(event.event, event.data);
 * ```
 */
export async function* parseServerSentEvents(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  let lastEventId: string | undefined;
  let event = '';
  let data: string[] = [];
  let retryMs: number | undefined;
  for await (const line of readLines(stream)) {
    if (line === '') {
      if (data.length > 0)
        yield { event: event === '' ? 'message' : event, data: data.join('\n'), id: lastEventId, retryMs };
      event = '';
      data = [];
      retryMs = undefined;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
  }
}
