import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSuperadmin } from '../src/cli/superadmin.js';
import { testDatabases } from './support/databases.js';
import {
  createUser,
  type LoginBody,
  startTestServer,
  type TestResponse,
  type TestServer,
  type TestUser,
} from './support/test-server.js';

/** Refresh only rotates the session's token; it is not an account change and would flood the log. */
// A refresh changes no account; a signed-URL upload only stages bytes (completing it, an
// organisation route, records the file and is audited).
const notAudited = ['POST /v1/auth/refresh', 'PUT /v1/uploads'];

describe.each(testDatabases())('audit log on %s', (kind) => {
  let test: TestServer;
  let operator: TestUser;
  const secrets: string[] = [];
  const audited = new Map<string, TestResponse>();

  beforeAll(async () => {
    test = await startTestServer(kind);
    operator = await createUser(test, 'auditor');
    await setSuperadmin(test.database.database, operator.email, true);
  });
  afterAll(async () => {
    await test.close();
  });

  const call = async (route: string, url: string, options: Parameters<TestServer['request']>[2] = {}) => {
    const [method = 'GET'] = route.split(' ');
    const response = await test.request(method, url, options);
    expect(response.status, `${route}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    audited.set(route, response);
    return response;
  };

  it('records every account, organisation and platform mutation with its request id', async () => {
    const email = 'audited@example.test';
    const password = 'audited-password-1';
    secrets.push(password);
    await call('POST /v1/auth/signup', '/v1/auth/signup', { body: { email, password } });
    await call('POST /v1/auth/verify-email/resend', '/v1/auth/verify-email/resend', { body: { email } });
    const verifyToken = test.smtp.tokenFrom(await test.smtp.waitForMail(email, /Confirm/));
    secrets.push(verifyToken);
    await call('POST /v1/auth/verify-email', '/v1/auth/verify-email', { body: { token: verifyToken } });
    const login = (await call('POST /v1/auth/login', '/v1/auth/login', {
      body: { email, password },
    })) as TestResponse<LoginBody>;
    secrets.push(login.body.accessToken, login.body.refreshToken);
    const org = (await call('POST /v1/orgs', '/v1/orgs', {
      token: login.body.accessToken,
      body: { name: 'Audited' },
    })) as TestResponse<{ id: string }>;
    await test.request('POST', `/v1/orgs/${operator.orgId}/invitations`, {
      token: operator.accessToken,
      body: { email, role: 'viewer' },
    });
    const invitationToken = test.smtp.tokenFrom(await test.smtp.waitForMail(email, /invited/));
    secrets.push(invitationToken);
    await call('POST /v1/invitations/accept', '/v1/invitations/accept', {
      token: login.body.accessToken,
      body: { token: invitationToken },
    });
    await call('POST /v1/auth/logout', '/v1/auth/logout', { token: login.body.accessToken });
    await call('POST /v1/auth/password-reset', '/v1/auth/password-reset', { body: { email } });
    const resetToken = test.smtp.tokenFrom(await test.smtp.waitForMail(email, /Reset/));
    secrets.push(resetToken, 'audited-password-2');
    await call('POST /v1/auth/password-reset/confirm', '/v1/auth/password-reset/confirm', {
      body: { token: resetToken, password: 'audited-password-2' },
    });
    const userId = login.body.user.id;
    const admin = { token: operator.accessToken };
    await call('POST /v1/admin/users/:userId/suspend', `/v1/admin/users/${userId}/suspend`, admin);
    await call('POST /v1/admin/users/:userId/unsuspend', `/v1/admin/users/${userId}/unsuspend`, admin);
    await call('POST /v1/admin/orgs/:orgId/suspend', `/v1/admin/orgs/${org.body.id}/suspend`, admin);
    await call('POST /v1/admin/orgs/:orgId/unsuspend', `/v1/admin/orgs/${org.body.id}/unsuspend`, admin);

    for (const [route, response] of audited) {
      const { rows } = await test.database.database.query<{ action: string; ip: string }>(
        'SELECT action, ip FROM audit_events WHERE request_id = $1',
        [response.headers['x-request-id']],
      );
      expect(rows.length, `${route} left no audit event`).toBeGreaterThan(0);
      expect(rows[0]?.ip).toBe('127.0.0.1');
    }
    // Organisation routes are audited in the role matrix; every other mutating route is here.
    const mutating = test.server.routes
      .filter((route) => route.method !== 'GET' && route.access.auth !== 'org')
      .map((route) => `${route.method} ${route.url}`)
      .sort();
    expect([...audited.keys(), ...notAudited].sort()).toEqual(mutating);
  });

  it('never records a password or token', async () => {
    const { rows } = await test.database.database.query('SELECT * FROM audit_events');
    const text = JSON.stringify(rows);
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it("lets organisation admins page through their organisation's log, newest first", async () => {
    for (const name of ['one', 'two', 'three']) {
      test.advance(1000);
      await test.request('PATCH', `/v1/orgs/${operator.orgId}`, {
        token: operator.accessToken,
        body: { name },
      });
    }
    type Page = {
      data: { action: string; orgId: string; details: { name?: string } }[];
      nextCursor: string | null;
    };
    const first = await test.request<Page>('GET', '/v1/audit-events?action=org.update&limit=2', {
      token: operator.accessToken,
      org: operator.orgId,
    });
    expect(first.body.data.map((event) => event.details.name)).toEqual(['three', 'two']);
    const second = await test.request<Page>(
      'GET',
      `/v1/audit-events?action=org.update&limit=2&cursor=${first.body.nextCursor}`,
      {
        token: operator.accessToken,
        org: operator.orgId,
      },
    );
    expect(second.body.data.map((event) => event.details.name)).toEqual(['one']);
    expect(second.body.nextCursor).toBeNull();
    expect(new Set([...first.body.data, ...second.body.data].map((event) => event.orgId))).toEqual(
      new Set([operator.orgId]),
    );
  });
});
