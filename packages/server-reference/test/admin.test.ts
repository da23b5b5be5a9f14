import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSuperadmin } from '../src/cli/superadmin.js';
import { testDatabases } from './support/databases.js';
import { createApiToken } from './support/org-helpers.js';
import {
  createUser,
  type LoginBody,
  startTestServer,
  type TestServer,
  type TestUser,
} from './support/test-server.js';

describe.each(testDatabases())('platform administration on %s', (kind) => {
  let test: TestServer;
  let operator: TestUser;
  let customer: TestUser;
  beforeAll(async () => {
    test = await startTestServer(kind);
    operator = await createUser(test, 'operator');
    customer = await createUser(test, 'customer');
    expect(await setSuperadmin(test.database.database, operator.email.toUpperCase(), true)).toBe(true);
  });
  afterAll(async () => {
    await test.close();
  });

  it('lists users and organisations, with search and cursor paging', async () => {
    const first = await test.request<{ data: { email: string }[]; nextCursor: string | null }>(
      'GET',
      '/v1/admin/users?limit=1',
      {
        token: operator.accessToken,
      },
    );
    expect(first.body.data).toHaveLength(1);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await test.request<{ data: { email: string }[] }>(
      'GET',
      `/v1/admin/users?limit=1&cursor=${first.body.nextCursor}`,
      { token: operator.accessToken },
    );
    expect(second.body.data[0]?.email).not.toBe(first.body.data[0]?.email);
    const found = await test.request<{ data: { email: string; isSuperadmin: boolean }[] }>(
      'GET',
      `/v1/admin/users?email=${encodeURIComponent('customer-')}`,
      { token: operator.accessToken },
    );
    expect(found.body.data.map((user) => user.email)).toEqual([customer.email]);
    const orgs = await test.request<{ data: { id: string; memberCount: number }[] }>(
      'GET',
      '/v1/admin/orgs',
      {
        token: operator.accessToken,
      },
    );
    expect(orgs.body.data.find((org) => org.id === customer.orgId)?.memberCount).toBe(1);
  });

  it('suspends a user: sessions, logins and API tokens stop; lifting it lets them log in again', async () => {
    const token = await createApiToken(test, customer, customer.orgId, 'member');
    const suspended = await test.request('POST', `/v1/admin/users/${customer.userId}/suspend`, {
      token: operator.accessToken,
    });
    expect(suspended.body).toEqual({ id: customer.userId, suspended: true });
    expect((await test.request('GET', '/v1/me', { token: customer.accessToken })).status).toBe(401);
    const login = await test.request('POST', '/v1/auth/login', {
      body: { email: customer.email, password: customer.password },
    });
    expect(login.status).toBe(403);
    expect(login.body).toMatchObject({ error: { code: 'suspended' } });
    const withToken = await test.request('GET', '/v1/provider-keys', { token: token.token });
    expect(withToken.status).toBe(403);
    expect(withToken.body).toMatchObject({ error: { code: 'suspended' } });

    await test.request('POST', `/v1/admin/users/${customer.userId}/unsuspend`, {
      token: operator.accessToken,
    });
    const again = await test.request<LoginBody>('POST', '/v1/auth/login', {
      body: { email: customer.email, password: customer.password },
    });
    expect(again.status).toBe(200);
    customer.accessToken = again.body.accessToken;
    expect((await test.request('GET', '/v1/provider-keys', { token: token.token })).status).toBe(200);
  });

  it('suspends an organisation: every route in it answers 403', async () => {
    await test.request('POST', `/v1/admin/orgs/${customer.orgId}/suspend`, { token: operator.accessToken });
    const blocked = await test.request('GET', `/v1/orgs/${customer.orgId}`, { token: customer.accessToken });
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({
      error: { code: 'suspended', message: 'This organisation is suspended' },
    });
    await test.request('POST', `/v1/admin/orgs/${customer.orgId}/unsuspend`, { token: operator.accessToken });
    expect(
      (await test.request('GET', `/v1/orgs/${customer.orgId}`, { token: customer.accessToken })).status,
    ).toBe(200);
  });

  it('records admin actions in the platform audit log, readable by superadmins only', async () => {
    const events = await test.request<{ data: { action: string; actorUserId: string | null }[] }>(
      'GET',
      '/v1/admin/audit-events?action=user.suspend',
      { token: operator.accessToken },
    );
    expect(events.body.data).toEqual([
      expect.objectContaining({ action: 'user.suspend', actorUserId: operator.userId }),
    ]);
    expect(
      (await test.request('GET', '/v1/admin/audit-events', { token: customer.accessToken })).status,
    ).toBe(403);
    const adminToken = await createApiToken(test, operator, operator.orgId, 'admin');
    expect((await test.request('GET', '/v1/admin/users', { token: adminToken.token })).status).toBe(403);
  });

  it('answers 404 for an unknown user or organisation', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(
      (await test.request('POST', `/v1/admin/users/${missing}/suspend`, { token: operator.accessToken }))
        .status,
    ).toBe(404);
    expect(
      (await test.request('POST', `/v1/admin/orgs/${missing}/suspend`, { token: operator.accessToken }))
        .status,
    ).toBe(404);
  });
});
