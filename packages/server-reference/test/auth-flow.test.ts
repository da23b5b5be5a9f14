import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.js';
import { type LoginBody, startTestServer, type TestServer } from './support/test-server.js';

interface TokenBody {
  accessToken: string;
  refreshToken: string;
}

describe.each(testDatabases())('sign-up, verification, login, refresh, logout on %s', (kind) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(kind);
  });
  afterAll(async () => {
    await test.close();
  });

  it('runs the whole session life cycle, with reuse detection', async () => {
    const email = 'Ada.Lovelace@Example.test';
    const password = 'analytical-engine-1843';
    const signup = await test.request('POST', '/v1/auth/signup', { body: { email, password, name: 'Ada' } });
    expect(signup.status).toBe(202);
    expect(signup.body).toEqual({
      status: 'accepted',
      message: 'If the address can be used, a mail is on its way',
    });

    const early = await test.request('POST', '/v1/auth/login', { body: { email, password } });
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ error: { code: 'email-not-verified' } });

    const mail = await test.smtp.waitForMail(email, /Confirm your email/);
    expect(mail.text).toContain('https://app.example.test/verify-email?token=lbo_');
    const token = test.smtp.tokenFrom(mail);
    const verified = await test.request('POST', '/v1/auth/verify-email', { body: { token } });
    expect(verified).toMatchObject({ status: 200, body: { emailVerified: true } });
    const again = await test.request('POST', '/v1/auth/verify-email', { body: { token } });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: { code: 'invalid-token' } });

    const wrong = await test.request('POST', '/v1/auth/login', {
      body: { email, password: 'not-the-password' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({
      error: { code: 'invalid-credentials', message: 'Wrong e-mail or password' },
    });

    // The address is matched without regard to case.
    const login = await test.request<LoginBody>('POST', '/v1/auth/login', {
      body: { email: 'ada.lovelace@example.TEST', password },
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { email, emailVerified: true },
    });
    expect(login.body.refreshToken).toMatch(/^lbr_[A-Za-z0-9_-]{43}$/);
    const me = await test.request('GET', '/v1/me', { token: login.body.accessToken });
    expect(me.body).toMatchObject({
      user: { email, name: 'Ada' },
      memberships: [{ orgName: "Ada's organisation", role: 'owner' }],
    });

    const refreshed = await test.request<TokenBody>('POST', '/v1/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(login.body.refreshToken);
    expect((await test.request('GET', '/v1/me', { token: refreshed.body.accessToken })).status).toBe(200);

    // The first refresh token, presented again: the session is revoked for everyone holding it.
    const reused = await test.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    expect(reused.status).toBe(401);
    expect(reused.body).toMatchObject({ error: { code: 'refresh-token-reused' } });
    const afterReuse = await test.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: refreshed.body.refreshToken },
    });
    expect(afterReuse.status).toBe(401);
    const accessAfterReuse = await test.request('GET', '/v1/me', { token: refreshed.body.accessToken });
    expect(accessAfterReuse.status).toBe(401);
    expect(accessAfterReuse.body).toMatchObject({ error: { code: 'unauthenticated' } });

    const second = await test.request<LoginBody>('POST', '/v1/auth/login', { body: { email, password } });
    const logout = await test.request('POST', '/v1/auth/logout', { token: second.body.accessToken });
    expect(logout.status).toBe(204);
    expect((await test.request('GET', '/v1/me', { token: second.body.accessToken })).status).toBe(401);
    const refreshAfterLogout = await test.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: second.body.refreshToken },
    });
    expect(refreshAfterLogout.status).toBe(401);

    const { rows } = await test.database.database.query<{ action: string }>(
      `SELECT action FROM audit_events WHERE actor_user_id = $1 ORDER BY created_at, action`,
      [login.body.user.id],
    );
    expect(rows.map((row) => row.action).sort()).toEqual(
      [
        'org.create',
        'session.create',
        'session.create',
        'session.reuse-detected',
        'session.revoke',
        'user.signup',
        'user.verify-email',
      ].sort(),
    );
  });

  it('stores refresh and verification tokens only as hashes', async () => {
    const email = 'hashes@example.test';
    await test.request('POST', '/v1/auth/signup', { body: { email, password: 'password-for-hashes' } });
    const token = test.smtp.tokenFrom(await test.smtp.waitForMail(email, /Confirm/));
    await test.request('POST', '/v1/auth/verify-email', { body: { token } });
    const login = await test.request<LoginBody>('POST', '/v1/auth/login', {
      body: { email, password: 'password-for-hashes' },
    });
    const { rows } = await test.database.database.query<{ found: number }>(
      `SELECT (SELECT count(*) FROM refresh_tokens WHERE token_hash IN ($1, $2))
            + (SELECT count(*) FROM one_time_tokens WHERE token_hash IN ($1, $2)) AS found`,
      [login.body.refreshToken, token],
    );
    expect(Number(rows[0]?.found)).toBe(0);
  });

  it('answers sign-up with an existing address exactly like a new one, and mails the owner instead', async () => {
    const email = 'taken@example.test';
    const first = await test.request('POST', '/v1/auth/signup', {
      body: { email, password: 'first-password-1' },
    });
    const second = await test.request('POST', '/v1/auth/signup', {
      body: { email: 'TAKEN@example.test', password: 'second-password-2' },
    });
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    await test.smtp.waitForMail('TAKEN@example.test', /already have an llmbatch account/);
    const { rows } = await test.database.database.query(
      "SELECT count(*)::int AS users FROM users WHERE lower(email) = 'taken@example.test'",
    );
    expect(rows).toEqual([{ users: 1 }]);
  });

  it('expires access tokens, refresh tokens and verification links', async () => {
    const email = 'expiry@example.test';
    const password = 'password-for-expiry';
    await test.request('POST', '/v1/auth/signup', { body: { email, password } });
    const stale = test.smtp.tokenFrom(await test.smtp.waitForMail(email, /Confirm/));
    test.advance(25 * 3_600_000);
    const late = await test.request('POST', '/v1/auth/verify-email', { body: { token: stale } });
    expect(late.body).toMatchObject({ error: { code: 'invalid-token' } });
    await test.request('POST', '/v1/auth/verify-email/resend', { body: { email } });
    const fresh = await test.smtp.waitForMail(email, /Confirm/);
    expect(test.smtp.tokenFrom(fresh)).not.toBe(stale);
    await test.request('POST', '/v1/auth/verify-email', { body: { token: test.smtp.tokenFrom(fresh) } });

    const login = await test.request<LoginBody>('POST', '/v1/auth/login', { body: { email, password } });
    test.advance(901_000);
    const expired = await test.request('GET', '/v1/me', { token: login.body.accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ error: { code: 'token-expired' } });
    test.advance(30 * 86_400_000);
    const refresh = await test.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    expect(refresh.body).toMatchObject({ error: { code: 'token-expired' } });
  });

  it('refuses a forged or malformed bearer token', async () => {
    const forged =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4Iiwic2lkIjoieSIsImlzcyI6ImxsbWJhdGNoIiwiYXVkIjoibGxtYmF0Y2gtYXBpIn0.c2lnbmF0dXJl';
    for (const header of [`Bearer ${forged}`, 'Basic dXNlcjpwYXNz', 'Bearer lbk_not-a-real-token-at-all']) {
      const response = await test.request('GET', '/v1/me', { headers: { authorization: header } });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: { code: 'unauthenticated' } });
    }
  });
});
