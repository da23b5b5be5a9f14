import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import { type S3TestServer, startS3Server } from './support/s3-server.js';
import { startStorageTestServer } from './support/storage-test-server.js';
import { createUser, type TestServer, type TestUser } from './support/test-server.js';

interface FileBody {
  id: string;
  name: string;
  format: 'csv' | 'jsonl';
  sizeBytes: number;
  sha256: string;
}

interface SignedUpload {
  fileId: string;
  uploadToken: string;
  method: 'PUT';
  url: string;
  headers: Record<string, string>;
  sizeBytes: number;
  expiresAt: string;
}

const limit = 50_000;
const publicUrl = 'https://api.example.test';
const csv = `id,text\n${Array.from({ length: 200 }, (_, index) => `${index},row ${index}`).join('\n')}\n`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

/** Sends a request to a signed URL with no credentials: to s3rver over HTTP, or into the server. */
async function sendTo(
  test: TestServer,
  method: 'GET' | 'PUT',
  url: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  if (url.startsWith(s3.endpoint)) {
    const response = await fetch(url, {
      method,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }
  expect(url.startsWith(`${publicUrl}/`)).toBe(true);
  const { pathname, search } = new URL(url);
  const response = await test.server.app.inject({
    method,
    url: `${pathname}${search}`,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.body === undefined ? {} : { payload: options.body }),
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) headers.set(name, String(value));
  return { status: response.statusCode, text: response.body, headers };
}

/** The token in a signed URL of the server, altered in its payload (the signature stays). */
function alteredToken(token: string): string {
  const [version, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const forged = Buffer.from(JSON.stringify({ ...claims, sizeBytes: 10 * limit })).toString('base64url');
  return `${version}.${forged}.${signature}`;
}

const combinations = testDatabases().flatMap((database) =>
  (['filesystem', 's3'] as const).map((driver) => [database, driver] as const),
);

describe.each(combinations)('signed URLs on %s with the %s driver', (database, driver) => {
  let test: TestServer;
  let owner: TestUser;
  let stranger: TestUser;
  beforeAll(async () => {
    test = await startStorageTestServer(database, {
      environment: { MAX_UPLOAD_BYTES: String(limit), PUBLIC_URL: publicUrl, SIGNED_URL_TTL_SECONDS: '600' },
      ...(driver === 's3' ? { storage: s3.storage() } : {}),
    });
    owner = await createUser(test, 'signed');
    stranger = await createUser(test, 'signed-stranger');
  });
  afterAll(async () => {
    await test?.close();
  });

  /** Every object key the organisation has in storage. */
  async function storedKeys(orgId: string): Promise<string[]> {
    if (driver === 's3') return (await s3.keys()).filter((key) => key.startsWith(`orgs/${orgId}/`));
    const root = join(test.server.context.config.dataDirectory, 'files');
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
      .filter((key) => key.startsWith(`orgs/${orgId}/`))
      .sort();
  }

  const createUpload = (user: TestUser, body: Record<string, unknown>) =>
    test.request<SignedUpload>('POST', '/v1/files/uploads', {
      token: user.accessToken,
      org: user.orgId,
      body,
    });
  const complete = (user: TestUser, uploadToken: string) =>
    test.request<FileBody>('POST', '/v1/files/uploads/complete', {
      token: user.accessToken,
      org: user.orgId,
      body: { uploadToken },
    });

  it('tells clients that signed URLs are offered, by whom, and the limits', async () => {
    const response = await test.request('GET', '/v1/files/upload-options', {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      maxUploadBytes: limit,
      signedUrls: {
        available: true,
        servedBy: driver === 's3' ? 'object-store' : 'server',
        maxUploadBytes: limit,
        maxExpiresInSeconds: 600,
      },
    });
  });

  it('uploads through a signed URL, then completing it makes the file, once', async () => {
    const created = await createUpload(owner, { name: 'reviews.csv', sizeBytes: Buffer.byteLength(csv) });
    expect(created.status).toBe(201);
    const upload = created.body;
    expect(upload).toMatchObject({ method: 'PUT', sizeBytes: Buffer.byteLength(csv) });
    expect(upload.headers).toEqual({ 'content-type': 'text/csv; charset=utf-8' });
    expect(Date.parse(upload.expiresAt) - test.now.getTime()).toBeGreaterThan(590_000);
    if (driver === 's3') {
      expect(
        upload.url.startsWith(`${s3.endpoint}/${s3.bucket}/orgs/${owner.orgId}/uploads/${upload.fileId}?`),
      ).toBe(true);
    } else {
      expect(upload.url).toBe(`${publicUrl}/v1/uploads?token=${encodeURIComponent(upload.uploadToken)}`);
    }
    // Nothing is stored, and no file exists, before bytes arrive and the upload is completed.
    expect(await storedKeys(owner.orgId)).toEqual([]);
    const early = await complete(owner, upload.uploadToken);
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({
      error: { code: 'invalid-request', details: { reason: 'not-uploaded' } },
    });

    const put = await sendTo(test, 'PUT', upload.url, { headers: upload.headers, body: csv });
    expect(put.status).toBe(driver === 's3' ? 200 : 204);
    const completed = await complete(owner, upload.uploadToken);
    expect(completed.status).toBe(201);
    expect(completed.body).toMatchObject({
      id: upload.fileId,
      name: 'reviews.csv',
      format: 'csv',
      sizeBytes: Buffer.byteLength(csv),
      sha256: sha256(csv),
    });
    const content = await test.request<string>('GET', `/v1/files/${upload.fileId}/content`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(content.body).toBe(csv);
    // The bytes were moved to the file's own key, out of reach of the upload URL.
    expect(await storedKeys(owner.orgId)).toEqual([`orgs/${owner.orgId}/objects/${upload.fileId}`]);
    // The token is a credential: no log line carries it.
    expect(test.logs.join('')).not.toContain(upload.uploadToken.split('.')[2]);
    const again = await complete(owner, upload.uploadToken);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(completed.body);
    if (driver === 'filesystem') {
      const overwrite = await sendTo(test, 'PUT', upload.url, { headers: upload.headers, body: csv });
      expect(overwrite.status).toBe(409);
    }
    const audit = await test.database.database.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE action = 'file.create' AND target_id = $1`,
      [upload.fileId],
    );
    expect(audit.rows.map((row) => row.details)).toEqual([
      { name: 'reviews.csv', format: 'csv', sizeBytes: Buffer.byteLength(csv), via: 'signed-url' },
    ]);
  });

  it('refuses altered, foreign and expired upload tokens, and stores nothing for them', async () => {
    const upload = (await createUpload(owner, { name: 'a.csv', sizeBytes: Buffer.byteLength(csv) })).body;
    const altered = await complete(owner, alteredToken(upload.uploadToken));
    expect(altered.status).toBe(400);
    expect(altered.body).toMatchObject({
      error: { code: 'invalid-token', details: { reason: 'bad-signature' } },
    });
    const garbage = await complete(owner, 'not-a-token');
    expect(garbage.body).toMatchObject({
      error: { code: 'invalid-token', details: { reason: 'malformed' } },
    });

    if (driver === 'filesystem') {
      const base = `${publicUrl}/v1/uploads?token=`;
      const tampered = await sendTo(
        test,
        'PUT',
        `${base}${encodeURIComponent(alteredToken(upload.uploadToken))}`,
        {
          headers: upload.headers,
          body: csv,
        },
      );
      expect(tampered.status).toBe(400);
      expect(JSON.parse(tampered.text)).toMatchObject({ error: { code: 'invalid-token' } });
      // A download token does not open an upload.
      const file = await test.request<FileBody>('POST', '/v1/files?name=d.csv', {
        token: owner.accessToken,
        org: owner.orgId,
        headers: { 'content-type': 'text/csv' },
        body: csv,
      });
      const download = await test.request<{ url: string }>('GET', `/v1/files/${file.body.id}/download-url`, {
        token: owner.accessToken,
        org: owner.orgId,
      });
      const downloadToken = new URL(download.body.url).searchParams.get('token') ?? '';
      const misused = await sendTo(test, 'PUT', `${base}${encodeURIComponent(downloadToken)}`, {
        headers: upload.headers,
        body: csv,
      });
      expect(JSON.parse(misused.text)).toMatchObject({
        error: { code: 'invalid-token', details: { reason: 'wrong-purpose' } },
      });
      await test.request('DELETE', `/v1/files/${file.body.id}`, {
        token: owner.accessToken,
        org: owner.orgId,
      });
    }

    // Another organisation cannot complete (or learn about) this upload.
    await sendTo(test, 'PUT', upload.url, { headers: upload.headers, body: csv });
    const foreign = await complete(stranger, upload.uploadToken);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ error: { code: 'not-found', message: 'No such upload' } });
    expect(await storedKeys(stranger.orgId)).toEqual([]);
    expect((await complete(owner, upload.uploadToken)).status).toBe(201);

    // Expired: issued 61 s ago for 60 s, the store (S3) or the server refuses the bytes.
    test.advance(-61_000);
    const late = (
      await createUpload(owner, { name: 'late.csv', sizeBytes: Buffer.byteLength(csv), expiresInSeconds: 60 })
    ).body;
    test.advance(61_000);
    const refused = await sendTo(test, 'PUT', late.url, { headers: late.headers, body: csv });
    if (driver === 's3') {
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('Request has expired');
    } else {
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'token-expired' } });
    }
    const unfinished = await complete(owner, late.uploadToken);
    expect(unfinished.status).toBe(400);
    expect(await storedKeys(owner.orgId)).not.toContain(`orgs/${owner.orgId}/uploads/${late.fileId}`);
  });

  it('refuses sizes past the limit and bodies of another size, keeping nothing', async () => {
    const tooBig = await createUpload(owner, { name: 'big.csv', sizeBytes: limit + 1 });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toMatchObject({ error: { code: 'payload-too-large', details: { maxBytes: limit } } });
    const before = await storedKeys(owner.orgId);

    const size = Buffer.byteLength(csv);
    const longer = (await createUpload(owner, { name: 'longer.csv', sizeBytes: size })).body;
    const extra = `${csv}${'9,too much\n'.repeat(100)}`;
    const sent = await sendTo(test, 'PUT', longer.url, { headers: longer.headers, body: extra });
    if (driver === 'filesystem') {
      expect(sent.status).toBe(413);
      expect(JSON.parse(sent.text)).toMatchObject({
        error: { code: 'payload-too-large', details: { maxBytes: size } },
      });
      // Without a content type too: the server streams whatever body arrives.
      const shorter = await sendTo(test, 'PUT', longer.url, { body: csv.slice(0, 20) });
      expect(shorter.status).toBe(400);
      expect(JSON.parse(shorter.text)).toMatchObject({
        error: { details: { sizeBytes: 20, declaredSizeBytes: size } },
      });
    } else {
      // Real S3 refuses a body whose length differs from the signed one; s3rver does not check
      // signatures, so here the completion is what catches it, and it deletes the object.
      expect(sent.status).toBe(200);
    }
    const rejected = await complete(owner, longer.uploadToken);
    expect(rejected.status).toBe(driver === 's3' ? 413 : 400);
    expect(await storedKeys(owner.orgId)).toEqual(before);

    const broken = '{"a":1}\n{not json\n';
    const jsonl = (await createUpload(owner, { name: 'broken.jsonl', sizeBytes: Buffer.byteLength(broken) }))
      .body;
    expect(jsonl.headers).toEqual({ 'content-type': 'application/x-ndjson' });
    await sendTo(test, 'PUT', jsonl.url, { headers: jsonl.headers, body: broken });
    const invalid = await complete(owner, jsonl.uploadToken);
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ error: { code: 'invalid-request', details: { format: 'jsonl' } } });
    expect(await storedKeys(owner.orgId)).toEqual(before);
    const files = await test.database.database.query<{ id: string }>(
      'SELECT id FROM files WHERE id = ANY($1)',
      [[longer.fileId, jsonl.fileId]],
    );
    expect(files.rows).toEqual([]);
  });

  it('gives a download URL that works without credentials until it expires, to members only', async () => {
    const file = await test.request<FileBody>('POST', '/v1/files?name=out.csv', {
      token: owner.accessToken,
      org: owner.orgId,
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    const foreign = await test.request('GET', `/v1/files/${file.body.id}/download-url`, {
      token: stranger.accessToken,
      org: stranger.orgId,
    });
    expect(foreign.status).toBe(404);
    const signed = await test.request<{ url: string; expiresAt: string }>(
      'GET',
      `/v1/files/${file.body.id}/download-url?expiresInSeconds=60`,
      { token: owner.accessToken, org: owner.orgId },
    );
    expect(signed.status).toBe(200);
    expect(Date.parse(signed.body.expiresAt) - test.now.getTime()).toBeLessThanOrEqual(60_000);
    const fetched = await sendTo(test, 'GET', signed.body.url);
    expect(fetched.status).toBe(200);
    expect(fetched.text).toBe(csv);
    expect(fetched.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(fetched.headers.get('content-disposition')).toBe('attachment; filename="out.csv"');

    // Signed a minute and a bit ago, with a one-minute lifetime: expired.
    test.advance(-61_000);
    const stale = await test.request<{ url: string }>(
      'GET',
      `/v1/files/${file.body.id}/download-url?expiresInSeconds=60`,
      { token: owner.accessToken, org: owner.orgId },
    );
    test.advance(61_000);
    const expired = await sendTo(test, 'GET', stale.body.url);
    expect(expired.status).toBe(driver === 's3' ? 403 : 401);
    expect(expired.text).not.toContain('row 1');
    if (driver === 'filesystem') {
      const token = new URL(signed.body.url).searchParams.get('token') ?? '';
      const [version, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      // Pointing the token at another organisation's file breaks its signature.
      const forged = Buffer.from(JSON.stringify({ ...claims, orgId: stranger.orgId })).toString('base64url');
      const tampered = await sendTo(
        test,
        'GET',
        `${publicUrl}/v1/downloads?token=${version}.${forged}.${signature}`,
      );
      expect(tampered.status).toBe(400);
    }
    await test.request('DELETE', `/v1/files/${file.body.id}`, { token: owner.accessToken, org: owner.orgId });
    const gone = await sendTo(test, 'GET', signed.body.url);
    expect(gone.status).toBe(404);
  });
});
