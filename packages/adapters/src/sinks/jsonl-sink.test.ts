import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AdapterError } from '../errors.js';
import { rejectionOf, result, tempDir } from '../test-support/fixtures.js';
import { createJsonlSink } from './jsonl-sink.js';

const first = result({ key: 'a', index: 0 });
const second = result({
  key: 'b',
  index: 1,
  status: 'error',
  value: undefined,
  raw: 'not json',
  warnings: ['took the first of 2 fenced blocks'],
  cost: null,
  error: { code: 'output-invalid', message: 'bad output', isRetryable: false },
});

/** A writable that holds every write until `release()`: a consumer slower than the producer. */
function slowWritable() {
  const held: Array<() => void> = [];
  const chunks: string[] = [];
  const stream = new Writable({
    highWaterMark: 8,
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      held.push(callback);
    },
  });
  return {
    stream,
    chunks,
    release() {
      for (const callback of held.splice(0)) callback();
    },
  };
}

describe('createJsonlSink', () => {
  it('writes one JSON object per line with every result field in a fixed order', async () => {
    const path = join(await tempDir(), 'out.jsonl');
    const sink = await createJsonlSink(path);
    await sink.write(first);
    await sink.write(second);
    await sink.close();
    expect(sink.written).toBe(2);
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      key: 'a',
      index: 0,
      status: 'ok',
      value: { label: 'positive' },
      raw: '{"label":"positive"}',
      warnings: [],
      usage: first.usage,
      cost: 0.0001,
      attempts: [{ attempt: 1, durationMs: 12 }],
      durationMs: 12,
    });
    expect(Object.keys(JSON.parse(lines[1] ?? ''))).toEqual([
      'key',
      'index',
      'status',
      'raw',
      'warnings',
      'usage',
      'cost',
      'attempts',
      'error',
      'durationMs',
    ]);
  });

  it('leaves the raw text out with includeRaw: false', async () => {
    const path = join(await tempDir(), 'out.jsonl');
    const sink = await createJsonlSink(path, { includeRaw: false });
    await sink.write(first);
    await sink.close();
    expect(JSON.parse(await readFile(path, 'utf8')).raw).toBeUndefined();
  });

  it('stops accepting results once 64K characters wait behind a stuck stream (backpressure)', async () => {
    const slow = slowWritable();
    const sink = await createJsonlSink(slow.stream);
    const lineLength = JSON.stringify(first).length + 1;
    let accepted = 0;
    let blocked: Promise<void> | undefined;
    for (let i = 0; i < 1000 && blocked === undefined; i += 1) {
      const write = sink.write(first);
      const settled = await Promise.race([
        write.then(() => true),
        new Promise((resolve) => setImmediate(resolve, false)),
      ]);
      if (settled) accepted += 1;
      else blocked = write;
    }
    // One line went out at once; the rest waited in the buffer until it reached 64K characters.
    expect(accepted).toBe(Math.ceil((64 * 1024) / lineLength));
    expect(slow.chunks).toHaveLength(1);
    slow.release();
    await new Promise((resolve) => setImmediate(resolve));
    slow.release();
    await blocked;
    expect(slow.chunks).toHaveLength(2);
    expect(slow.chunks.join('').length).toBe((accepted + 1) * lineLength);
  });

  it('appends after cutting a torn last line left by a crash', async () => {
    const path = join(await tempDir(), 'out.jsonl');
    await writeFile(path, `${JSON.stringify({ key: 'a', status: 'ok' })}\n{"key":"b","sta`);
    const sink = await createJsonlSink(path, { mode: 'append' });
    await sink.write(second);
    await sink.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line).key)).toEqual(['a', 'b']);
  });

  it('never overwrites in mode create, and refuses writes after close', async () => {
    const path = join(await tempDir(), 'out.jsonl');
    await writeFile(path, 'keep\n');
    const error = await rejectionOf(createJsonlSink(path, { mode: 'create' }));
    expect(AdapterError.isInstance(error) && error.code).toBe('io');
    expect(await readFile(path, 'utf8')).toBe('keep\n');
    const sink = await createJsonlSink(join(await tempDir(), 'new.jsonl'), { mode: 'create' });
    await sink.close();
    await sink.close();
    const closed = await rejectionOf(sink.write(first));
    expect(AdapterError.isInstance(closed) && closed.code).toBe('sink-closed');
  });

  it('closes on `await using` and does not end a stream handed in with endStream: false', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        chunks.push(String(chunk));
        callback();
      },
    });
    {
      await using sink = await createJsonlSink(stream, { endStream: false });
      await sink.write(first);
    }
    expect(stream.writableEnded).toBe(false);
    expect(chunks).toHaveLength(1);
    expect(JSON.parse(chunks[0] ?? '')).toEqual(first);
  });

  it('turns a failing stream into an io error on the next write and on close', async () => {
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    const sink = await createJsonlSink(stream);
    await sink.write(first);
    await new Promise((resolve) => setImmediate(resolve));
    const error = await rejectionOf(sink.write(first));
    expect(AdapterError.isInstance(error) && error.code).toBe('io');
    expect(error instanceof Error && error.message).toBe('Writing "stream" failed: disk full');
    const closing = await rejectionOf(sink.close());
    expect(AdapterError.isInstance(closing) && closing.code).toBe('io');
  });

  it('writes every line whole and in order: multi-byte text, and a result larger than the write buffer', async () => {
    const path = join(await tempDir(), 'out.jsonl');
    const sink = await createJsonlSink(path);
    const written = [];
    for (let index = 0; index < 3_000; index += 1) {
      // Index 1,500 carries 300,000 characters, several times the writer's buffer; the rest emoji and accents.
      const raw = index === 1_500 ? 'x'.repeat(300_000) : `résumé ${index} 🚀 ${'é'.repeat(index % 50)}`;
      const line = result({ key: `k${index}`, index, raw });
      written.push(line);
      await sink.write(line);
    }
    await sink.close();
    expect(sink.written).toBe(3_000);
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line).raw)).toEqual(written.map((line) => line.raw));
  });

  it('gives a stream its own copy of each block, so a stream that keeps chunks sees the right text', async () => {
    const kept: Buffer[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        kept.push(chunk);
        setImmediate(callback);
      },
    });
    const sink = await createJsonlSink(stream);
    for (let index = 0; index < 2_000; index += 1) await sink.write(result({ key: `k${index}`, index }));
    await sink.close();
    const keys = Buffer.concat(kept)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).key);
    expect(keys).toEqual(Array.from({ length: 2_000 }, (_, index) => `k${index}`));
  });
});
