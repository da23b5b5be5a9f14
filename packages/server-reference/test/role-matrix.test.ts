import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/db/rows.js';
import { tenantScope } from '../src/db/tenant-scope.js';
import { testDatabases } from './support/databases.js';
import {
  createUser,
  startTestServer,
  type TestResponse,
  type TestServer,
  type TestUser,
} from './support/test-server.js';

const everyone: Role[] = ['owner', 'admin', 'member', 'viewer'];

/** A fresh organisation with one user per role and one extra plain member to act on. */
interface Fixture {
  orgId: string;
  users: Record<Role, TestUser>;
  extra: TestUser;
}

interface Case {
  /** `METHOD /path/{param}`, exactly as the server registers it. */
  route: string;
  /** The roles that may call it, written out here independently of the server's permission table. */
  allowed: Role[];
  /** False for a POST that changes nothing (so leaves no audit event). @default true */
  mutation?: boolean;
  send(test: TestServer, fixture: Fixture, actor: TestUser, role: Role): Promise<TestResponse>;
}

const as = (actor: TestUser, orgId?: string) => ({
  token: actor.accessToken,
  ...(orgId === undefined ? {} : { org: orgId }),
});

async function createKey(test: TestServer, fixture: Fixture): Promise<string> {
  const response = await test.request<{ id: string }>('POST', '/v1/provider-keys', {
    ...as(fixture.users.owner, fixture.orgId),
    body: { name: 'k', provider: 'openai', apiKey: 'sk-matrix-0000' },
  });
  return response.body.id;
}

async function createFile(test: TestServer, fixture: Fixture): Promise<string> {
  const response = await test.request<{ id: string }>('POST', '/v1/files?name=matrix.csv', {
    ...as(fixture.users.owner, fixture.orgId),
    headers: { 'content-type': 'text/csv' },
    body: 'id,text\n1,hello\n',
  });
  return response.body.id;
}

/** A signed upload the owner started and sent the bytes of, ready to be completed. */
async function sentUpload(test: TestServer, fixture: Fixture): Promise<string> {
  const body = 'id,text\n1,hello\n';
  const upload = await test.request<{ uploadToken: string; url: string }>('POST', '/v1/files/uploads', {
    ...as(fixture.users.owner, fixture.orgId),
    body: { name: 'signed.csv', sizeBytes: body.length },
  });
  const { pathname, search } = new URL(upload.body.url);
  await test.request('PUT', `${pathname}${search}`, { headers: { 'content-type': 'text/csv' }, body });
  return upload.body.uploadToken;
}

async function createJob(test: TestServer, fixture: Fixture): Promise<string> {
  const response = await test.request<{ id: string }>('POST', '/v1/jobs', {
    ...as(fixture.users.owner, fixture.orgId),
    body: {
      fileId: await createFile(test, fixture),
      providerKeyId: await createKey(test, fixture),
      model: 'gpt-4o-mini',
      prompt: '{{text}}',
    },
  });
  return response.body.id;
}

const cases: Case[] = [
  {
    route: 'POST /v1/files',
    allowed: ['owner', 'admin', 'member'],
    send: (t, f, a) =>
      t.request('POST', '/v1/files?name=mine.csv', {
        ...as(a, f.orgId),
        headers: { 'content-type': 'text/csv' },
        body: 'id\n1\n',
      }),
  },
  {
    route: 'GET /v1/files',
    allowed: everyone,
    send: (t, f, a) => t.request('GET', '/v1/files', as(a, f.orgId)),
  },
  {
    route: 'GET /v1/files/:fileId',
    allowed: everyone,
    send: async (t, f, a) => t.request('GET', `/v1/files/${await createFile(t, f)}`, as(a, f.orgId)),
  },
  {
    route: 'GET /v1/files/:fileId/content',
    allowed: everyone,
    send: async (t, f, a) => t.request('GET', `/v1/files/${await createFile(t, f)}/content`, as(a, f.orgId)),
  },
  {
    route: 'GET /v1/files/:fileId/download-url',
    allowed: everyone,
    send: async (t, f, a) =>
      t.request('GET', `/v1/files/${await createFile(t, f)}/download-url`, as(a, f.orgId)),
  },
  {
    route: 'GET /v1/files/upload-options',
    allowed: everyone,
    send: (t, f, a) => t.request('GET', '/v1/files/upload-options', as(a, f.orgId)),
  },
  {
    route: 'POST /v1/files/uploads',
    allowed: ['owner', 'admin', 'member'],
    mutation: false,
    send: (t, f, a) =>
      t.request('POST', '/v1/files/uploads', { ...as(a, f.orgId), body: { name: 'a.csv', sizeBytes: 10 } }),
  },
  {
    route: 'POST /v1/files/uploads/complete',
    allowed: ['owner', 'admin', 'member'],
    send: async (t, f, a) =>
      t.request('POST', '/v1/files/uploads/complete', {
        ...as(a, f.orgId),
        body: { uploadToken: await sentUpload(t, f) },
      }),
  },
  {
    route: 'DELETE /v1/files/:fileId',
    allowed: ['owner', 'admin', 'member'],
    send: async (t, f, a) => t.request('DELETE', `/v1/files/${await createFile(t, f)}`, as(a, f.orgId)),
  },
  {
    route: 'POST /v1/jobs',
    allowed: ['owner', 'admin', 'member'],
    send: async (t, f, a) =>
      t.request('POST', '/v1/jobs', {
        ...as(a, f.orgId),
        body: {
          fileId: await createFile(t, f),
          providerKeyId: await createKey(t, f),
          model: 'gpt-4o-mini',
          prompt: '{{text}}',
        },
      }),
  },
  {
    route: 'POST /v1/jobs/estimate',
    allowed: everyone,
    mutation: false,
    send: async (t, f, a) =>
      t.request('POST', '/v1/jobs/estimate', {
        ...as(a, f.orgId),
        body: {
          fileId: await createFile(t, f),
          providerKeyId: await createKey(t, f),
          model: 'gpt-4o-mini',
          prompt: '{{text}}',
        },
      }),
  },
  {
    route: 'GET /v1/jobs',
    allowed: everyone,
    send: (t, f, a) => t.request('GET', '/v1/jobs', as(a, f.orgId)),
  },
  {
    route: 'GET /v1/usage',
    allowed: everyone,
    send: (t, f, a) => t.request('GET', '/v1/usage', as(a, f.orgId)),
  },
  {
    route: 'GET /v1/jobs/:jobId',
    allowed: everyone,
    send: async (t, f, a) => t.request('GET', `/v1/jobs/${await createJob(t, f)}`, as(a, f.orgId)),
  },
  {
    route: 'POST /v1/jobs/:jobId/cancel',
    allowed: ['owner', 'admin', 'member'],
    send: async (t, f, a) => t.request('POST', `/v1/jobs/${await createJob(t, f)}/cancel`, as(a, f.orgId)),
  },
  {
    route: 'POST /v1/jobs/:jobId/retry-failed',
    allowed: ['owner', 'admin', 'member'],
    async send(t, f, a) {
      // A cancelled job that never ran: retrying sends its units (202).
      const jobId = await createJob(t, f);
      await t.request('POST', `/v1/jobs/${jobId}/cancel`, as(f.users.owner, f.orgId));
      return t.request('POST', `/v1/jobs/${jobId}/retry-failed`, as(a, f.orgId));
    },
  },
  {
    route: 'GET /v1/jobs/:jobId/results',
    allowed: everyone,
    send: async (t, f, a) => t.request('GET', `/v1/jobs/${await createJob(t, f)}/results`, as(a, f.orgId)),
  },
  {
    route: 'GET /v1/jobs/:jobId/events',
    allowed: everyone,
    async send(t, f, a) {
      // No worker runs here: cancel the job so its event stream ends.
      const jobId = await createJob(t, f);
      await t.request('POST', `/v1/jobs/${jobId}/cancel`, as(f.users.owner, f.orgId));
      return t.request('GET', `/v1/jobs/${jobId}/events`, as(a, f.orgId));
    },
  },
  {
    route: 'GET /v1/orgs/:orgId',
    allowed: everyone,
    send: (t, f, a) => t.request('GET', `/v1/orgs/${f.orgId}`, as(a)),
  },
  {
    route: 'PATCH /v1/orgs/:orgId',
    allowed: ['owner', 'admin'],
    send: (t, f, a) => t.request('PATCH', `/v1/orgs/${f.orgId}`, { ...as(a), body: { name: 'Renamed' } }),
  },
  {
    route: 'DELETE /v1/orgs/:orgId',
    allowed: ['owner'],
    send: (t, f, a) => t.request('DELETE', `/v1/orgs/${f.orgId}`, as(a)),
  },
  {
    route: 'GET /v1/orgs/:orgId/members',
    allowed: everyone,
    send: (t, f, a) => t.request('GET', `/v1/orgs/${f.orgId}/members`, as(a)),
  },
  {
    route: 'PATCH /v1/orgs/:orgId/members/:userId',
    allowed: ['owner', 'admin'],
    send: (t, f, a) =>
      t.request('PATCH', `/v1/orgs/${f.orgId}/members/${f.extra.userId}`, {
        ...as(a),
        body: { role: 'viewer' },
      }),
  },
  {
    route: 'DELETE /v1/orgs/:orgId/members/:userId',
    allowed: ['owner', 'admin'],
    send: (t, f, a) => t.request('DELETE', `/v1/orgs/${f.orgId}/members/${f.extra.userId}`, as(a)),
  },
  {
    route: 'GET /v1/orgs/:orgId/invitations',
    allowed: ['owner', 'admin'],
    send: (t, f, a) => t.request('GET', `/v1/orgs/${f.orgId}/invitations`, as(a)),
  },
  {
    route: 'POST /v1/orgs/:orgId/invitations',
    allowed: ['owner', 'admin'],
    send: (t, f, a) =>
      t.request('POST', `/v1/orgs/${f.orgId}/invitations`, {
        ...as(a),
        body: { email: 'new@example.test', role: 'viewer' },
      }),
  },
  {
    route: 'DELETE /v1/orgs/:orgId/invitations/:invitationId',
    allowed: ['owner', 'admin'],
    async send(t, f, a) {
      const invitation = await t.request<{ id: string }>('POST', `/v1/orgs/${f.orgId}/invitations`, {
        ...as(f.users.owner),
        body: { email: 'revoke@example.test', role: 'viewer' },
      });
      return t.request('DELETE', `/v1/orgs/${f.orgId}/invitations/${invitation.body.id}`, as(a));
    },
  },
  {
    route: 'GET /v1/api-tokens',
    allowed: ['owner', 'admin', 'member'],
    send: (t, f, a) => t.request('GET', '/v1/api-tokens', as(a, f.orgId)),
  },
  {
    route: 'POST /v1/api-tokens',
    allowed: ['owner', 'admin', 'member'],
    send: (t, f, a) =>
      t.request('POST', '/v1/api-tokens', { ...as(a, f.orgId), body: { name: 'mine', role: 'viewer' } }),
  },
  {
    route: 'DELETE /v1/api-tokens/:tokenId',
    allowed: ['owner', 'admin', 'member'],
    async send(t, f, a, role) {
      // Each actor revokes a token of its own (viewers cannot create one, so theirs comes from the owner).
      const creator = role === 'viewer' ? f.users.owner : a;
      const token = await t.request<{ apiToken: { id: string } }>('POST', '/v1/api-tokens', {
        ...as(creator, f.orgId),
        body: { name: 'to revoke', role: 'viewer' },
      });
      return t.request('DELETE', `/v1/api-tokens/${token.body.apiToken.id}`, as(a, f.orgId));
    },
  },
  {
    route: 'GET /v1/provider-keys',
    allowed: ['owner', 'admin', 'member'],
    send: (t, f, a) => t.request('GET', '/v1/provider-keys', as(a, f.orgId)),
  },
  {
    route: 'POST /v1/provider-keys',
    allowed: ['owner', 'admin'],
    send: (t, f, a) =>
      t.request('POST', '/v1/provider-keys', {
        ...as(a, f.orgId),
        body: { name: 'n', provider: 'openai', apiKey: 'sk-x-1234' },
      }),
  },
  {
    route: 'GET /v1/provider-keys/:keyId',
    allowed: ['owner', 'admin', 'member'],
    send: async (t, f, a) => t.request('GET', `/v1/provider-keys/${await createKey(t, f)}`, as(a, f.orgId)),
  },
  {
    route: 'DELETE /v1/provider-keys/:keyId',
    allowed: ['owner', 'admin'],
    send: async (t, f, a) =>
      t.request('DELETE', `/v1/provider-keys/${await createKey(t, f)}`, as(a, f.orgId)),
  },
  {
    route: 'GET /v1/audit-events',
    allowed: ['owner', 'admin'],
    send: (t, f, a) => t.request('GET', '/v1/audit-events', as(a, f.orgId)),
  },
  {
    route: 'GET /v1/admin/users',
    allowed: [],
    send: (t, _f, a) => t.request('GET', '/v1/admin/users', as(a)),
  },
  { route: 'GET /v1/admin/orgs', allowed: [], send: (t, _f, a) => t.request('GET', '/v1/admin/orgs', as(a)) },
  {
    route: 'GET /v1/admin/audit-events',
    allowed: [],
    send: (t, _f, a) => t.request('GET', '/v1/admin/audit-events', as(a)),
  },
  {
    route: 'POST /v1/admin/users/:userId/suspend',
    allowed: [],
    send: (t, f, a) => t.request('POST', `/v1/admin/users/${f.extra.userId}/suspend`, as(a)),
  },
  {
    route: 'POST /v1/admin/users/:userId/unsuspend',
    allowed: [],
    send: (t, f, a) => t.request('POST', `/v1/admin/users/${f.extra.userId}/unsuspend`, as(a)),
  },
  {
    route: 'POST /v1/admin/orgs/:orgId/suspend',
    allowed: [],
    send: (t, f, a) => t.request('POST', `/v1/admin/orgs/${f.orgId}/suspend`, as(a)),
  },
  {
    route: 'POST /v1/admin/orgs/:orgId/unsuspend',
    allowed: [],
    send: (t, f, a) => t.request('POST', `/v1/admin/orgs/${f.orgId}/unsuspend`, as(a)),
  },
];

describe.each(testDatabases())('role matrix on %s', (kind) => {
  let test: TestServer;
  let people: Record<Role, TestUser>;
  let extra: TestUser;
  let fixtures = 0;

  /** A new organisation with the five people in it (memberships written directly: setup, not the thing tested). */
  async function freshFixture(): Promise<Fixture> {
    fixtures += 1;
    const created = await test.request<{ id: string }>('POST', '/v1/orgs', {
      token: people.owner.accessToken,
      body: { name: `Matrix ${fixtures}` },
    });
    const scope = tenantScope(test.database.database, created.body.id);
    for (const role of ['admin', 'member', 'viewer'] as const)
      await scope.insert('memberships', { user_id: people[role].userId, role });
    await scope.insert('memberships', { user_id: extra.userId, role: 'member' });
    return { orgId: created.body.id, users: people, extra };
  }

  beforeAll(async () => {
    test = await startTestServer(kind);
    people = {
      owner: await createUser(test, 'owner'),
      admin: await createUser(test, 'admin'),
      member: await createUser(test, 'member'),
      viewer: await createUser(test, 'viewer'),
    };
    extra = await createUser(test, 'extra');
  });
  afterAll(async () => {
    await test.close();
  });

  it('covers every organisation and admin route the server registers', () => {
    const registered = test.server.routes
      .filter((route) => route.access.auth === 'org' || route.access.auth === 'superadmin')
      .map((route) => `${route.method} ${route.url}`)
      .sort();
    expect(cases.map((testCase) => testCase.route).sort()).toEqual(registered);
  });

  it.each(cases.map((testCase) => [testCase.route, testCase] as const))('%s', async (_route, testCase) => {
    const outcomes: Record<string, number> = {};
    for (const role of everyone) {
      const fixture = await freshFixture();
      const response = await testCase.send(test, fixture, people[role], role);
      outcomes[role] = response.status;
      if (testCase.allowed.includes(role)) {
        expect(response.status, `${role} should be allowed`).toBeGreaterThanOrEqual(200);
        expect(response.status, `${role} should be allowed: ${JSON.stringify(response.body)}`).toBeLessThan(
          300,
        );
        if (!testCase.route.startsWith('GET') && testCase.mutation !== false) {
          // Every mutation leaves an audit event tagged with the request's id.
          const { rows } = await test.database.database.query(
            'SELECT action FROM audit_events WHERE request_id = $1',
            [response.headers['x-request-id']],
          );
          expect(rows.length, `${testCase.route} by ${role} was not audited`).toBe(1);
        }
      } else {
        expect(response.status, `${role} should be refused`).toBe(403);
        expect(response.body).toMatchObject({ error: { code: 'forbidden' } });
      }
    }
    expect(Object.keys(outcomes)).toEqual(everyone);
  });
});
