import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './support/test-server.js';

interface FileBody {
  id: string;
  name: string;
  format: 'csv' | 'jsonl';
  sizeBytes: number;
  sha256: string;
  createdAt: string;
}

async function storedObjects(test: TestServer): Promise<string[]> {
  const root = join(test.server.context.config.dataDirectory, 'files');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe.each(testDatabases())('files on %s', (kind) => {
  let test: TestServer;
  let owner: TestUser;
  let stranger: TestUser;
  beforeAll(async () => {
    test = await startTestServer(kind, { maxUploadBytes: 200_000 });
    owner = await createUser(test, 'files');
    stranger = await createUser(test, 'files-stranger');
  });
  afterAll(async () => {
    await test.close();
  });

  const upload = (user: TestUser, name: string, body: string | Buffer, contentType = 'text/csv') =>
    test.request<FileBody>('POST', `/v1/files?name=${encodeURIComponent(name)}`, {
      token: user.accessToken,
      org: user.orgId,
      headers: { 'content-type': contentType },
      body,
    });

  it('uploads a CSV as a stream, lists it, and gives back the same bytes', async () => {
    const csv = `id,text\n${Array.from({ length: 3000 }, (_, index) => `${index},row number ${index}`).join('\n')}\n`;
    const created = await upload(owner, 'reviews.csv', csv);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'reviews.csv',
      format: 'csv',
      sizeBytes: Buffer.byteLength(csv),
    });
    const listed = await test.request<{ data: FileBody[] }>('GET', '/v1/files', {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(listed.body.data.map((file) => file.id)).toContain(created.body.id);
    const one = await test.request<FileBody>('GET', `/v1/files/${created.body.id}`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(one.body).toEqual(created.body);
    const content = await test.request<string>('GET', `/v1/files/${created.body.id}/content`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(content.status).toBe(200);
    expect(content.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(content.body).toBe(csv);
  });

  it('accepts JSONL by content type and refuses a file whose head does not parse', async () => {
    const jsonl = await upload(owner, 'items', '{"a":1}\n{"a":2}\n', 'application/x-ndjson');
    expect(jsonl.status).toBe(201);
    expect(jsonl.body.format).toBe('jsonl');
    const before = await storedObjects(test);
    const broken = await upload(owner, 'broken.jsonl', '{"a":1}\n{not json\n', 'application/x-ndjson');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ error: { code: 'invalid-request' } });
    const empty = await upload(owner, 'empty.csv', 'id,text\n');
    expect(empty.status).toBe(400);
    expect(await storedObjects(test)).toEqual(before);
  });

  it('rejects an oversize upload with 413 and stores nothing', async () => {
    const before = await storedObjects(test);
    const { count } = (
      await test.database.database.query<{ count: number }>('SELECT count(*)::int AS count FROM files')
    ).rows[0] ?? {
      count: -1,
    };
    const big = `id,text\n${'1,'.padEnd(100, 'x')}\n`.repeat(3000);
    const response = await upload(owner, 'big.csv', big);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({
      error: { code: 'payload-too-large', details: { maxBytes: 200_000 } },
    });
    // Without a content-length the limit is enforced while streaming.
    const streamed = await test.server.app.inject({
      method: 'POST',
      url: '/v1/files?name=big.csv',
      headers: {
        authorization: `Bearer ${owner.accessToken}`,
        'llmbatch-org': owner.orgId,
        'content-type': 'text/csv',
        'transfer-encoding': 'chunked',
      },
      payload: Readable.from(
        (function* () {
          yield Buffer.from('id,text\n');
          for (let index = 0; index < 50; index += 1) yield Buffer.from(`${index},${'y'.repeat(9990)}\n`);
        })(),
      ),
    });
    expect(streamed.statusCode).toBe(413);
    expect(await storedObjects(test)).toEqual(before);
    const after = (
      await test.database.database.query<{ count: number }>('SELECT count(*)::int AS count FROM files')
    ).rows[0];
    expect(after?.count).toBe(count);
  });

  it("answers 404 for another organisation's file, its content and its deletion", async () => {
    const created = await upload(owner, 'private.csv', 'id\n1\n');
    for (const [method, url] of [
      ['GET', `/v1/files/${created.body.id}`],
      ['GET', `/v1/files/${created.body.id}/content`],
      ['DELETE', `/v1/files/${created.body.id}`],
    ] as const) {
      const response = await test.request(method, url, { token: stranger.accessToken, org: stranger.orgId });
      expect(response.status).toBe(404);
    }
    const strangers = await test.request<{ data: FileBody[] }>('GET', '/v1/files', {
      token: stranger.accessToken,
      org: stranger.orgId,
    });
    expect(strangers.body.data).toEqual([]);
    const deleted = await test.request('DELETE', `/v1/files/${created.body.id}`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(deleted.status).toBe(204);
    const gone = await test.request('GET', `/v1/files/${created.body.id}/content`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(gone.status).toBe(404);
  });
});
