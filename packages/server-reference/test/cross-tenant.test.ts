import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import { addMember, createApiToken } from './support/org-helpers.js';
import {
  createUser,
  type RequestOptions,
  startTestServer,
  type TestServer,
  type TestUser,
} from './support/test-server.js';

/** Org B's resources, which nobody in org A may see or touch. */
interface Victim {
  owner: TestUser;
  member: TestUser;
  orgId: string;
  keyId: string;
  tokenId: string;
  invitationId: string;
  fileId: string;
  jobId: string;
  /** A signed upload B started (not completed). */
  uploadToken: string;
}

interface Attempt {
  route: string;
  method: string;
  url: string;
  options: RequestOptions;
}

describe.each(testDatabases())('cross-tenant isolation on %s', (kind) => {
  let test: TestServer;
  let attacker: TestUser;
  let attackerToken: string;
  let victim: Victim;
  let before: string;

  /** Org B's rows in every tenant table except the audit log, plus the org itself. */
  async function victimRows(): Promise<string> {
    const parts: unknown[] = [];
    for (const table of [
      'orgs',
      'memberships',
      'invitations',
      'api_tokens',
      'provider_keys',
      'files',
      'jobs',
    ]) {
      const column = table === 'orgs' ? 'id' : 'org_id';
      const { rows } = await test.database.database.query(
        `SELECT * FROM ${table} WHERE ${column} = $1 ORDER BY id`,
        [victim.orgId],
      );
      parts.push(rows);
    }
    return JSON.stringify(parts);
  }

  beforeAll(async () => {
    test = await startTestServer(kind);
    attacker = await createUser(test, 'attacker');
    attackerToken = (await createApiToken(test, attacker, attacker.orgId, 'admin')).token;
    const owner = await createUser(test, 'victim');
    const member = await addMember(test, owner, owner.orgId, 'member', 'victim-member');
    const key = await test.request<{ id: string }>('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'victim key', provider: 'openai', apiKey: 'sk-victim-secret-9999' },
    });
    const token = await createApiToken(test, owner, owner.orgId, 'member');
    const invitation = await test.request<{ id: string }>('POST', `/v1/orgs/${owner.orgId}/invitations`, {
      token: owner.accessToken,
      body: { email: 'pending@example.test', role: 'viewer' },
    });
    const file = await test.request<{ id: string }>('POST', '/v1/files?name=victim.csv', {
      token: owner.accessToken,
      org: owner.orgId,
      headers: { 'content-type': 'text/csv' },
      body: 'id,text\n1,victim data\n',
    });
    const upload = await test.request<{ uploadToken: string }>('POST', '/v1/files/uploads', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'victim-upload.csv', sizeBytes: 10 },
    });
    const job = await test.request<{ id: string }>('POST', '/v1/jobs', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { fileId: file.body.id, providerKeyId: key.body.id, model: 'gpt-4o-mini', prompt: '{{text}}' },
    });
    victim = {
      owner,
      member,
      orgId: owner.orgId,
      keyId: key.body.id,
      tokenId: token.id,
      invitationId: invitation.body.id,
      fileId: file.body.id,
      jobId: job.body.id,
      uploadToken: upload.body.uploadToken,
    };
    before = await victimRows();
  });
  afterAll(async () => {
    await test.close();
  });

  /** Every way to name one of B's resources on every organisation route: B's org, or A's org with B's ids. */
  function attempts(credentials: RequestOptions, own: string): Attempt[] {
    const b = victim;
    const list: Attempt[] = [];
    const add = (route: string, method: string, url: string, options: RequestOptions = {}) =>
      list.push({ route, method, url, options: { ...credentials, ...options } });
    for (const org of [b.orgId]) {
      add('GET /v1/orgs/:orgId', 'GET', `/v1/orgs/${org}`);
      add('PATCH /v1/orgs/:orgId', 'PATCH', `/v1/orgs/${org}`, { body: { name: 'pwned' } });
      add('DELETE /v1/orgs/:orgId', 'DELETE', `/v1/orgs/${org}`);
      add('GET /v1/orgs/:orgId/members', 'GET', `/v1/orgs/${org}/members`);
      add('GET /v1/orgs/:orgId/invitations', 'GET', `/v1/orgs/${org}/invitations`);
      add('POST /v1/orgs/:orgId/invitations', 'POST', `/v1/orgs/${org}/invitations`, {
        body: { email: 'spy@example.test', role: 'owner' },
      });
    }
    for (const org of [b.orgId, own]) {
      add('PATCH /v1/orgs/:orgId/members/:userId', 'PATCH', `/v1/orgs/${org}/members/${b.member.userId}`, {
        body: { role: 'viewer' },
      });
      add('DELETE /v1/orgs/:orgId/members/:userId', 'DELETE', `/v1/orgs/${org}/members/${b.member.userId}`);
      add(
        'DELETE /v1/orgs/:orgId/invitations/:invitationId',
        'DELETE',
        `/v1/orgs/${org}/invitations/${b.invitationId}`,
      );
      add('GET /v1/provider-keys/:keyId', 'GET', `/v1/provider-keys/${b.keyId}`, { org });
      add('DELETE /v1/provider-keys/:keyId', 'DELETE', `/v1/provider-keys/${b.keyId}`, { org });
      add('DELETE /v1/api-tokens/:tokenId', 'DELETE', `/v1/api-tokens/${b.tokenId}`, { org });
      add('GET /v1/files/:fileId', 'GET', `/v1/files/${b.fileId}`, { org });
      add('GET /v1/files/:fileId/content', 'GET', `/v1/files/${b.fileId}/content`, { org });
      add('DELETE /v1/files/:fileId', 'DELETE', `/v1/files/${b.fileId}`, { org });
      add('GET /v1/files/:fileId/download-url', 'GET', `/v1/files/${b.fileId}/download-url`, { org });
      add('POST /v1/files/uploads/complete', 'POST', '/v1/files/uploads/complete', {
        org,
        body: { uploadToken: b.uploadToken },
      });
      add('GET /v1/jobs/:jobId', 'GET', `/v1/jobs/${b.jobId}`, { org });
      add('POST /v1/jobs/:jobId/cancel', 'POST', `/v1/jobs/${b.jobId}/cancel`, { org });
      add('POST /v1/jobs/:jobId/retry-failed', 'POST', `/v1/jobs/${b.jobId}/retry-failed`, { org });
      add('GET /v1/jobs/:jobId/results', 'GET', `/v1/jobs/${b.jobId}/results`, { org });
      add('GET /v1/jobs/:jobId/events', 'GET', `/v1/jobs/${b.jobId}/events`, { org });
      // B's file and key named from either organisation.
      const jobBody = { fileId: b.fileId, providerKeyId: b.keyId, model: 'gpt-4o-mini', prompt: '{{text}}' };
      add('POST /v1/jobs', 'POST', '/v1/jobs', { org, body: jobBody });
      add('POST /v1/jobs/estimate', 'POST', '/v1/jobs/estimate', { org, body: jobBody });
    }
    add('GET /v1/files', 'GET', '/v1/files', { org: b.orgId });
    add('POST /v1/files', 'POST', '/v1/files?name=spy.csv', {
      org: b.orgId,
      headers: { 'content-type': 'text/csv' },
      body: 'id\n1\n',
    });
    add('GET /v1/files/upload-options', 'GET', '/v1/files/upload-options', { org: b.orgId });
    add('POST /v1/files/uploads', 'POST', '/v1/files/uploads', {
      org: b.orgId,
      body: { name: 'spy.csv', sizeBytes: 10 },
    });
    add('GET /v1/jobs', 'GET', '/v1/jobs', { org: b.orgId });
    add('GET /v1/usage', 'GET', '/v1/usage', { org: b.orgId });
    add('GET /v1/api-tokens', 'GET', '/v1/api-tokens', { org: b.orgId });
    add('POST /v1/api-tokens', 'POST', '/v1/api-tokens', {
      org: b.orgId,
      body: { name: 'spy', role: 'viewer' },
    });
    add('GET /v1/provider-keys', 'GET', '/v1/provider-keys', { org: b.orgId });
    add('POST /v1/provider-keys', 'POST', '/v1/provider-keys', {
      org: b.orgId,
      body: { name: 'spy', provider: 'openai', apiKey: 'sk-spy-0000' },
    });
    add('GET /v1/audit-events', 'GET', '/v1/audit-events', { org: b.orgId });
    return list;
  }

  it('names every organisation route the server registers', () => {
    const registered = test.server.routes
      .filter((route) => route.access.auth === 'org')
      .map((route) => `${route.method} ${route.url}`)
      .sort();
    const tried = [
      ...new Set(attempts({ token: attackerToken }, attacker.orgId).map((attempt) => attempt.route)),
    ].sort();
    expect(tried).toEqual(registered);
  });

  it.each([
    ['a logged-in owner of another organisation', 'session'],
    ['an admin API token of another organisation', 'api-token'],
  ] as const)("answers 404 to %s for every one of org B's resources", async (_label, credential) => {
    const credentials = { token: credential === 'session' ? attacker.accessToken : attackerToken };
    const answers: string[] = [];
    for (const attempt of attempts(credentials, attacker.orgId)) {
      const response = await test.request(attempt.method, attempt.url, attempt.options);
      answers.push(`${attempt.method} ${attempt.url} ${response.status}`);
      expect(response.status, `${attempt.method} ${attempt.url}`).toBe(404);
      expect(response.body).toMatchObject({ error: { code: 'not-found' } });
    }
    expect(answers.length).toBeGreaterThan(20);
    // Not one of B's rows changed.
    expect(await victimRows()).toBe(before);
  });

  it('does not let an invitation for someone else be accepted', async () => {
    const invitation = await test.request('POST', `/v1/orgs/${victim.orgId}/invitations`, {
      token: victim.owner.accessToken,
      body: { email: 'intended@example.test', role: 'admin' },
    });
    expect(invitation.status).toBe(201);
    const mail = await test.smtp.waitForMail('intended@example.test', /invited/);
    const stolen = await test.request('POST', '/v1/invitations/accept', {
      token: attacker.accessToken,
      body: { token: test.smtp.tokenFrom(mail) },
    });
    expect(stolen.status).toBe(403);
    const membership = await test.database.database.query(
      'SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2',
      [victim.orgId, attacker.userId],
    );
    expect(membership.rows).toEqual([]);
  });
});
