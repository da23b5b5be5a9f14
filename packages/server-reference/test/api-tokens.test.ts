import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import { addMember, createApiToken, dumpAllTables } from './support/org-helpers.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './support/test-server.js';

interface TokenList {
  data: {
    id: string;
    name: string;
    role: string;
    hint: string;
    lastUsedAt: string | null;
    revokedAt: string | null;
  }[];
}

describe.each(testDatabases())('API tokens on %s', (kind) => {
  let test: TestServer;
  let owner: TestUser;
  beforeAll(async () => {
    test = await startTestServer(kind);
    owner = await createUser(test, 'token-owner');
  });
  afterAll(async () => {
    await test.close();
  });

  it('shows the secret once, stores only its hash, and records when it was last used', async () => {
    const created = await test.request<{
      token: string;
      apiToken: { id: string; hint: string; role: string };
    }>('POST', '/v1/api-tokens', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'ci', role: 'member' },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^lbk_[A-Za-z0-9_-]{43}$/);
    expect(created.body.apiToken).toMatchObject({
      role: 'member',
      hint: `${created.body.token.slice(0, 10)}…`,
    });
    expect(await dumpAllTables(test)).not.toContain(created.body.token);

    const listed = await test.request<TokenList>('GET', '/v1/api-tokens', {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    expect(listed.body.data.find((token) => token.id === created.body.apiToken.id)?.lastUsedAt).toBeNull();

    // The token implies its organisation: no header needed.
    const used = await test.request('GET', '/v1/provider-keys', { token: created.body.token });
    expect(used.status).toBe(200);
    const after = await test.request<TokenList>('GET', '/v1/api-tokens', {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(after.body.data.find((token) => token.id === created.body.apiToken.id)?.lastUsedAt).toBe(
      test.now.toISOString(),
    );
  });

  it('acts with its own role, and never above its creator', async () => {
    const viewerToken = await createApiToken(test, owner, owner.orgId, 'viewer');
    const denied = await test.request('GET', '/v1/provider-keys', { token: viewerToken.token });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({
      error: { code: 'forbidden', details: { permission: 'provider-keys:read' } },
    });

    const member = await addMember(test, owner, owner.orgId, 'member', 'token-member');
    const tooHigh = await test.request('POST', '/v1/api-tokens', {
      token: member.accessToken,
      org: owner.orgId,
      body: { name: 'escalate', role: 'admin' },
    });
    expect(tooHigh.status).toBe(403);
    const adminToken = await createApiToken(test, owner, owner.orgId, 'admin');
    // Demoting the creator demotes the token.
    const admin = await addMember(test, owner, owner.orgId, 'admin', 'token-admin');
    const adminsOwn = await createApiToken(test, admin, owner.orgId, 'admin');
    expect((await test.request('GET', '/v1/audit-events', { token: adminsOwn.token })).status).toBe(200);
    await test.request('PATCH', `/v1/orgs/${owner.orgId}/members/${admin.userId}`, {
      token: owner.accessToken,
      body: { role: 'viewer' },
    });
    expect((await test.request('GET', '/v1/audit-events', { token: adminsOwn.token })).status).toBe(403);
    // Removing the creator disables the token.
    await test.request('DELETE', `/v1/orgs/${owner.orgId}/members/${admin.userId}`, {
      token: owner.accessToken,
    });
    expect((await test.request('GET', `/v1/orgs/${owner.orgId}`, { token: adminsOwn.token })).status).toBe(
      401,
    );
    expect((await test.request('GET', '/v1/audit-events', { token: adminToken.token })).status).toBe(200);
  });

  it('cannot mint tokens or reach another organisation', async () => {
    const token = await createApiToken(test, owner, owner.orgId, 'admin');
    const mint = await test.request('POST', '/v1/api-tokens', {
      token: token.token,
      body: { name: 'child', role: 'viewer' },
    });
    expect(mint.status).toBe(403);
    const other = await createUser(test, 'token-other');
    const elsewhere = await test.request('GET', '/v1/provider-keys', {
      token: token.token,
      org: other.orgId,
    });
    expect(elsewhere.status).toBe(404);
    expect((await test.request('GET', `/v1/orgs/${other.orgId}`, { token: token.token })).status).toBe(404);
    expect((await test.request('GET', '/v1/me', { token: token.token })).status).toBe(403);
  });

  it('stops working the moment it is revoked, and members see and revoke only their own', async () => {
    const member = await addMember(test, owner, owner.orgId, 'member', 'revoker');
    const ownersToken = await createApiToken(test, owner, owner.orgId, 'member');
    const membersToken = await createApiToken(test, member, owner.orgId, 'member');
    const visible = await test.request<TokenList>('GET', '/v1/api-tokens', {
      token: member.accessToken,
      org: owner.orgId,
    });
    expect(visible.body.data.map((token) => token.id)).toEqual([membersToken.id]);
    const notTheirs = await test.request('DELETE', `/v1/api-tokens/${ownersToken.id}`, {
      token: member.accessToken,
      org: owner.orgId,
    });
    expect(notTheirs.status).toBe(404);

    expect((await test.request('GET', '/v1/provider-keys', { token: membersToken.token })).status).toBe(200);
    const revoked = await test.request('DELETE', `/v1/api-tokens/${membersToken.id}`, {
      token: member.accessToken,
      org: owner.orgId,
    });
    expect(revoked.status).toBe(204);
    const afterRevoke = await test.request('GET', '/v1/provider-keys', { token: membersToken.token });
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.body).toMatchObject({
      error: { code: 'unauthenticated', message: 'The API token is not valid' },
    });
  });

  it('expires on the day it was given', async () => {
    const created = await test.request<{ token: string }>('POST', '/v1/api-tokens', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'short-lived', role: 'viewer', expiresInDays: 1 },
    });
    expect((await test.request('GET', `/v1/orgs/${owner.orgId}`, { token: created.body.token })).status).toBe(
      200,
    );
    test.advance(86_400_000);
    expect((await test.request('GET', `/v1/orgs/${owner.orgId}`, { token: created.body.token })).status).toBe(
      401,
    );
  });
});
