import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type LLMBatchClient } from '../src/index.js';
import { type LocalServer, startLocalServer } from './support/local-server.js';

let server: LocalServer;
let directory: string;
let client: LLMBatchClient;
/** Method and path (query left out) of every request the client sent. */
const sent: string[] = [];

function csv(rows: number): string {
  return `id,text\n${Array.from({ length: rows }, (_, index) => `${index},row ${index}`).join('\n')}\n`;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'llmbatch-sdk-files-e2e-'));
  server = await startLocalServer();
  const anonymous = createClient({ baseUrl: server.url });
  const email = 'grace@example.test';
  const password = 'a long enough password';
  await anonymous.auth.signUp({ email, password, name: 'Grace' });
  await anonymous.auth.verifyEmail({ token: await server.mailedToken(email, /Confirm your email/) });
  const session = await anonymous.auth.logIn({ email, password });
  const user = createClient({ baseUrl: server.url, getToken: () => session.accessToken });
  const orgId = (await user.orgs.list()).data[0]?.id ?? '';
  const { token } = await user.withOrg(orgId).apiTokens.create({ name: 'files', role: 'member' });
  client = createClient({
    baseUrl: server.url,
    apiKey: token,
    fetch: (request) => {
      const url = new URL(request.url);
      sent.push(`${request.method} ${url.pathname}`);
      return fetch(request);
    },
  });
});
afterAll(async () => {
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('files through the SDK against the real server (filesystem storage)', () => {
  it('uploads a path through the signed URL the server offers, and reads it back two ways', async () => {
    const path = join(directory, 'reviews.csv');
    await writeFile(path, csv(300));
    sent.length = 0;
    const file = await client.files.upload(path);
    expect(file).toMatchObject({ name: 'reviews.csv', format: 'csv', sizeBytes: csv(300).length });
    expect(sent).toEqual([
      'GET /v1/files/upload-options',
      'POST /v1/files/uploads',
      'PUT /v1/uploads',
      'POST /v1/files/uploads/complete',
    ]);
    expect(await new Response(await client.files.download(file.id)).text()).toBe(csv(300));
    const { url, expiresAt } = await client.files.downloadUrl(file.id, { expiresInSeconds: 60 });
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    // The signed URL needs no credentials.
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.text()).toBe(csv(300));
  });

  it('streams a Node stream through the API, as its size is not known up front', async () => {
    sent.length = 0;
    const file = await client.files.upload(Readable.from([Buffer.from(csv(3))]), { name: 'small.csv' });
    expect(file).toMatchObject({ name: 'small.csv', sizeBytes: csv(3).length });
    expect(sent).toEqual(['POST /v1/files']);
  });

  it('hands out an upload URL another program can PUT to without credentials', async () => {
    const body = '{"text":"one"}\n{"text":"two"}\n';
    const upload = await client.files.createUpload({ name: 'items.jsonl', sizeBytes: body.length });
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body });
    expect(put.status).toBe(204);
    const file = await client.files.completeUpload(upload.uploadToken);
    expect(file).toMatchObject({
      id: upload.fileId,
      name: 'items.jsonl',
      format: 'jsonl',
      sizeBytes: body.length,
    });
    await expect(client.files.completeUpload(`${upload.uploadToken}x`)).rejects.toMatchObject({
      status: 400,
      code: 'invalid-token',
    });
  });
});
