import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import { createUser, type LoginBody, startTestServer, type TestServer } from './support/test-server.js';

describe.each(testDatabases())('password reset on %s', (kind) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(kind);
  });
  afterAll(async () => {
    await test.close();
  });

  it('mails a single-use link that sets a new password and ends every session', async () => {
    const user = await createUser(test, 'reset');
    const requested = await test.request('POST', '/v1/auth/password-reset', { body: { email: user.email } });
    expect(requested.status).toBe(202);
    const mail = await test.smtp.waitForMail(user.email, /Reset your llmbatch password/);
    expect(mail.text).toContain('https://app.example.test/reset-password?token=lbo_');
    const token = test.smtp.tokenFrom(mail);

    const tooShort = await test.request('POST', '/v1/auth/password-reset/confirm', {
      body: { token, password: 'short' },
    });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body).toMatchObject({
      error: { code: 'invalid-request', details: { issues: [{ location: 'body', path: '/password' }] } },
    });

    const newPassword = 'a-brand-new-password';
    const confirmed = await test.request('POST', '/v1/auth/password-reset/confirm', {
      body: { token, password: newPassword },
    });
    expect(confirmed.status).toBe(204);
    const replay = await test.request('POST', '/v1/auth/password-reset/confirm', {
      body: { token, password: 'yet-another-password' },
    });
    expect(replay.body).toMatchObject({ error: { code: 'invalid-token' } });

    expect((await test.request('GET', '/v1/me', { token: user.accessToken })).status).toBe(401);
    expect(
      (await test.request('POST', '/v1/auth/refresh', { body: { refreshToken: user.refreshToken } })).status,
    ).toBe(401);
    const oldLogin = await test.request('POST', '/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await test.request<LoginBody>('POST', '/v1/auth/login', {
      body: { email: user.email, password: newPassword },
    });
    expect(newLogin.status).toBe(200);
  });

  it('answers an unknown address the same way and sends nothing', async () => {
    const before = test.smtp.mails.length;
    const response = await test.request('POST', '/v1/auth/password-reset', {
      body: { email: 'nobody@example.test' },
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      status: 'accepted',
      message: 'If the address has an account, a mail is on its way',
    });
    expect(test.smtp.mails.length).toBe(before);
  });

  it('keeps only the newest link valid, and only for an hour', async () => {
    const user = await createUser(test, 'reset-twice');
    await test.request('POST', '/v1/auth/password-reset', { body: { email: user.email } });
    const first = test.smtp.tokenFrom(await test.smtp.waitForMail(user.email, /Reset/));
    await test.request('POST', '/v1/auth/password-reset', { body: { email: user.email } });
    const second = test.smtp.tokenFrom(await test.smtp.waitForMail(user.email, /Reset/));
    expect(second).not.toBe(first);
    const withFirst = await test.request('POST', '/v1/auth/password-reset/confirm', {
      body: { token: first, password: 'replaced-link-password' },
    });
    expect(withFirst.body).toMatchObject({ error: { code: 'invalid-token' } });
    test.advance(3_600_001);
    const late = await test.request('POST', '/v1/auth/password-reset/confirm', {
      body: { token: second, password: 'expired-link-password' },
    });
    expect(late.body).toMatchObject({ error: { code: 'invalid-token' } });
  });
});
