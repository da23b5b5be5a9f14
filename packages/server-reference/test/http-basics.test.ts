import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiFile, openApiFileText } from '../src/cli/write-openapi.js';
import type { ApiApp } from '../src/http/create-app.js';
import { testDatabases } from './support/databases.js';
import { createUser, type ErrorBody, startTestServer, type TestServer } from './support/test-server.js';

const crashRoute = (app: ApiApp) => {
  app.get('/v1/test/crash', { config: { access: { auth: 'public' } }, schema: { hide: true } }, async () => {
    throw new Error('database password hunter2 at /srv/llmbatch/src/secret-path.ts');
  });
};

const publicRoutes = [
  'GET /healthz',
  'GET /readyz',
  'GET /v1/openapi.json',
  'GET /v1/reference',
  'GET /v1/reference/',
  'POST /v1/auth/signup',
  'POST /v1/auth/verify-email',
  'POST /v1/auth/verify-email/resend',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/password-reset',
  'POST /v1/auth/password-reset/confirm',
  'GET /v1/test/crash',
  // Signed upload and download URLs: the token in the query is the credential.
  'PUT /v1/uploads',
  'GET /v1/downloads',
];

function parseLines(lines: string[]): Record<string, unknown>[] {
  return lines
    .flatMap((chunk) => chunk.split('\n').filter((line) => line !== ''))
    .map((line) => JSON.parse(line));
}

describe.each(testDatabases())('HTTP basics on %s', (kind) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(kind, { extraRoutes: [crashRoute] });
  });
  afterAll(async () => {
    await test.close();
  });

  it('answers 401 in the one error shape on every non-public route without credentials', async () => {
    const guarded = test.server.routes.filter((route) => route.access.auth !== 'public');
    expect(guarded.length).toBeGreaterThan(20);
    for (const route of guarded) {
      const url = route.url.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const response = await test.request<ErrorBody>(route.method, url, {
        body: route.method === 'GET' ? undefined : {},
      });
      expect(response.status, `${route.method} ${route.url}`).toBe(401);
      expect(response.body).toEqual({
        error: {
          code: 'unauthenticated',
          message: 'Send credentials as "Authorization: Bearer <token>"',
          requestId: response.headers['x-request-id'],
        },
      });
    }
  });

  it('keeps the list of public routes to the ones that must be public', () => {
    const open = test.server.routes
      .filter((route) => route.access.auth === 'public')
      .map((route) => `${route.method} ${route.url}`);
    const expected = [
      ...publicRoutes,
      ...(open.includes('GET /v1/dev/outbox') ? ['GET /v1/dev/outbox'] : []),
    ];
    expect(open.filter((route) => !route.startsWith('GET /v1/reference/')).sort()).toEqual(
      expected.filter((route) => !route.startsWith('GET /v1/reference/')).sort(),
    );
  });

  it('echoes a well-formed x-request-id, replaces a malformed one, and logs it on every line', async () => {
    const given = await test.request('GET', '/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const forged = await test.request('GET', '/healthz', {
      headers: { 'x-request-id': 'line\n{"level":60}' },
    });
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const user = await createUser(test, 'logged');
    const requestId = 'request-with-user-and-org';
    await test.request('GET', '/v1/provider-keys', {
      token: user.accessToken,
      org: user.orgId,
      headers: { 'x-request-id': requestId },
    });
    const lines = parseLines(test.logs).filter((line) => line.requestId === requestId);
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    const completed = lines[1];
    expect(completed).toMatchObject({ userId: user.userId, orgId: user.orgId, res: { statusCode: 200 } });
    expect(JSON.stringify(lines)).not.toContain(user.accessToken);
  });

  it('answers unknown routes, invalid bodies and broken JSON in the one error shape', async () => {
    const missing = await test.request<ErrorBody>('GET', '/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { code: 'not-found', message: 'No such route', requestId: missing.headers['x-request-id'] },
    });

    const invalid = await test.request<ErrorBody>('POST', '/v1/auth/signup', {
      body: { email: 'not-an-email', password: 'long enough password', isSuperadmin: true },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid-request');
    expect(invalid.body.error.details?.issues).toEqual([
      { location: 'body', path: '/email', message: 'Invalid email address' },
      { location: 'body', path: '/', message: 'Unrecognized key: "isSuperadmin"' },
    ]);

    const broken = await test.request<ErrorBody>('POST', '/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: '{"email": "a@b.test", "password": "hunter2',
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toEqual({
      code: 'invalid-request',
      message: 'The request is malformed',
      requestId: broken.headers['x-request-id'],
    });
    const wrongType = await test.request<ErrorBody>('POST', '/v1/auth/login', {
      headers: { 'content-type': 'text/plain' },
      body: 'email=a@b.test',
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe('unsupported-media-type');
  });

  it('answers a crash with a bare 500 and keeps the details in the log', async () => {
    const crash = await test.request<ErrorBody>('GET', '/v1/test/crash');
    expect(crash.status).toBe(500);
    expect(crash.body).toEqual({
      error: { code: 'internal', message: 'Internal server error', requestId: crash.headers['x-request-id'] },
    });
    const logged = parseLines(test.logs).find(
      (line) => line.requestId === crash.headers['x-request-id'] && line.level === 50,
    );
    expect(JSON.stringify(logged)).toContain('secret-path.ts');
  });

  it('reports health and readiness', async () => {
    expect((await test.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await test.request('GET', '/readyz')).body).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', storage: 'ok' },
    });
  });

  it('serves the OpenAPI 3.1 document, identical to the committed openapi.json, and a reference page', async () => {
    const served = await test.request<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/v1/openapi.json',
    );
    expect(served.body.openapi).toBe('3.1.0');
    expect(Object.keys(served.body.paths)).toContain('/v1/provider-keys/{keyId}');
    expect(Object.keys(served.body.paths)).not.toContain('/v1/test/crash');
    const committed = await readFile(openApiFile, 'utf8');
    expect(committed, 'openapi.json is stale: run pnpm --filter @llmbatch/server run openapi').toBe(
      await openApiFileText(),
    );
    expect(`${JSON.stringify(served.body, null, 2)}\n`).toBe(committed);
    const page = await test.request<string>('GET', '/v1/reference/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('/v1/openapi.json');
  });
});

describe('readiness when storage is not writable', () => {
  it('answers 503 naming the failed check', async () => {
    // A path below a regular file can never be created, whoever runs the test.
    const file = join(await mkdtemp(join(tmpdir(), 'llmbatch-readyz-')), 'a-file');
    await writeFile(file, '');
    const test = await startTestServer('pglite', { environment: { LLMBATCH_DATA_DIR: join(file, 'data') } });
    try {
      const response = await test.request<ErrorBody>('GET', '/readyz');
      expect(response.status).toBe(503);
      expect(response.body.error).toMatchObject({
        code: 'not-ready',
        details: { checks: { database: 'ok', migrations: 'ok', storage: 'failed' } },
      });
    } finally {
      await test.close();
    }
  });
});
