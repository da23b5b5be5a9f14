import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import { addMember } from './support/org-helpers.js';
import {
  createUser,
  type LoginBody,
  startTestServer,
  type TestServer,
  type TestUser,
} from './support/test-server.js';

interface MemberList {
  data: { userId: string; email: string; role: string }[];
}

describe.each(testDatabases())('organisations, members and invitations on %s', (kind) => {
  let test: TestServer;
  let owner: TestUser;
  beforeAll(async () => {
    test = await startTestServer(kind);
    owner = await createUser(test, 'org-owner');
  });
  afterAll(async () => {
    await test.close();
  });

  it('lets a user belong to several organisations with a role in each', async () => {
    test.advance(1000);
    const second = await test.request<{ id: string; role: string }>('POST', '/v1/orgs', {
      token: owner.accessToken,
      body: { name: 'Second' },
    });
    expect(second.body).toMatchObject({ name: 'Second', role: 'owner', suspended: false });
    test.advance(1000);
    const other = await createUser(test, 'org-other');
    await addMember(test, other, other.orgId, 'viewer', 'ignored');
    const invited = await test.request('POST', `/v1/orgs/${other.orgId}/invitations`, {
      token: other.accessToken,
      body: { email: owner.email, role: 'viewer' },
    });
    expect(invited.status).toBe(201);
    const mail = await test.smtp.waitForMail(owner.email, /invited/);
    const accepted = await test.request('POST', '/v1/invitations/accept', {
      token: owner.accessToken,
      body: { token: test.smtp.tokenFrom(mail) },
    });
    expect(accepted.body).toEqual({ orgId: other.orgId, role: 'viewer' });
    const mine = await test.request<{ data: { id: string; role: string }[] }>('GET', '/v1/orgs', {
      token: owner.accessToken,
    });
    expect(mine.body.data.map((org) => [org.id, org.role])).toEqual([
      [owner.orgId, 'owner'],
      [second.body.id, 'owner'],
      [other.orgId, 'viewer'],
    ]);
    // A user session must say which organisation it acts in when no path names one.
    const unnamed = await test.request('GET', '/v1/provider-keys', { token: owner.accessToken });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body).toMatchObject({
      error: { code: 'org-required', details: { header: 'llmbatch-org' } },
    });
  });

  it('keeps at least one owner, and only owners manage owners', async () => {
    const admin = await addMember(test, owner, owner.orgId, 'admin', 'org-admin');
    const demoteOwner = await test.request('PATCH', `/v1/orgs/${owner.orgId}/members/${owner.userId}`, {
      token: admin.accessToken,
      body: { role: 'member' },
    });
    expect(demoteOwner.status).toBe(403);
    const promoteSelf = await test.request('PATCH', `/v1/orgs/${owner.orgId}/members/${admin.userId}`, {
      token: admin.accessToken,
      body: { role: 'owner' },
    });
    expect(promoteSelf.status).toBe(403);
    const lastOwnerLeaves = await test.request('DELETE', `/v1/orgs/${owner.orgId}/members/${owner.userId}`, {
      token: owner.accessToken,
    });
    expect(lastOwnerLeaves.status).toBe(409);
    const selfDemote = await test.request('PATCH', `/v1/orgs/${owner.orgId}/members/${owner.userId}`, {
      token: owner.accessToken,
      body: { role: 'admin' },
    });
    expect(selfDemote.status).toBe(409);

    await test.request('PATCH', `/v1/orgs/${owner.orgId}/members/${admin.userId}`, {
      token: owner.accessToken,
      body: { role: 'owner' },
    });
    const leave = await test.request('DELETE', `/v1/orgs/${owner.orgId}/members/${owner.userId}`, {
      token: owner.accessToken,
    });
    expect(leave.status).toBe(204);
    const members = await test.request<MemberList>('GET', `/v1/orgs/${owner.orgId}/members`, {
      token: admin.accessToken,
    });
    expect(members.body.data.map((member) => [member.email, member.role])).toEqual([[admin.email, 'owner']]);
    expect((await test.request('GET', `/v1/orgs/${owner.orgId}`, { token: owner.accessToken })).status).toBe(
      404,
    );
  });

  it('lets anyone leave, but only admins remove others', async () => {
    const boss = await createUser(test, 'boss');
    const viewer = await addMember(test, boss, boss.orgId, 'viewer', 'leaver');
    const peer = await addMember(test, boss, boss.orgId, 'member', 'peer');
    const removePeer = await test.request('DELETE', `/v1/orgs/${boss.orgId}/members/${peer.userId}`, {
      token: viewer.accessToken,
    });
    expect(removePeer.status).toBe(403);
    const leave = await test.request('DELETE', `/v1/orgs/${boss.orgId}/members/${viewer.userId}`, {
      token: viewer.accessToken,
    });
    expect(leave.status).toBe(204);
    const { rows } = await test.database.database.query<{ action: string }>(
      'SELECT action FROM audit_events WHERE org_id = $1 AND target_id = $2',
      [boss.orgId, viewer.userId],
    );
    expect(rows.map((row) => row.action)).toEqual(['member.leave']);
  });

  it('lists, revokes and expires invitations', async () => {
    const host = await createUser(test, 'host');
    const invite = (email: string) =>
      test.request<{ id: string; status: string }>('POST', `/v1/orgs/${host.orgId}/invitations`, {
        token: host.accessToken,
        body: { email, role: 'member' },
      });
    const revoked = await invite('revoked@example.test');
    test.advance(1000);
    const expired = await invite('expired@example.test');
    expect((await invite(host.email)).status).toBe(409);
    await test.request('DELETE', `/v1/orgs/${host.orgId}/invitations/${revoked.body.id}`, {
      token: host.accessToken,
    });
    const revokedGuest = await createUser(test, 'late');
    const revokedMail = await test.smtp.waitForMail('revoked@example.test', /invited/);
    const tooLate = await test.request('POST', '/v1/invitations/accept', {
      token: revokedGuest.accessToken,
      body: { token: test.smtp.tokenFrom(revokedMail) },
    });
    expect(tooLate.body).toMatchObject({ error: { code: 'invalid-token' } });
    test.advance(7 * 86_400_000);
    const login = await test.request<LoginBody>('POST', '/v1/auth/login', {
      body: { email: host.email, password: host.password },
    });
    const listed = await test.request<{ data: { id: string; status: string }[] }>(
      'GET',
      `/v1/orgs/${host.orgId}/invitations`,
      {
        token: login.body.accessToken,
      },
    );
    expect(listed.body.data.map((invitation) => [invitation.id, invitation.status])).toEqual([
      [expired.body.id, 'expired'],
      [revoked.body.id, 'revoked'],
    ]);
  });
});
