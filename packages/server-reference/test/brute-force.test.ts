import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import { createServer } from '../src/server.js';
import { testDatabases } from './support/databases.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './support/test-server.js';

const window = 15 * 60_000;

describe.each(testDatabases())('brute-force protection on %s', (kind) => {
  let test: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    test = await startTestServer(kind, {
      attemptLimits: {
        loginPerAccount: { max: 3, windowMs: window },
        loginPerIp: { max: 5, windowMs: window },
        mailPerAccount: { max: 2, windowMs: window },
      },
    });
    user = await createUser(test, 'target');
  });
  afterAll(async () => {
    await test.close();
  });

  const login = (email: string, password: string, ip: string) =>
    test.request('POST', '/v1/auth/login', { body: { email, password }, ip });

  it('locks an account after repeated failures from many addresses, even for the right password', async () => {
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      expect((await login(user.email, 'wrong-password', ip)).status).toBe(401);
    }
    const locked = await login(user.email, user.password, '198.51.100.4');
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: { code: 'too-many-attempts' } });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // Case does not make a second account.
    expect((await login(user.email.toUpperCase(), user.password, '198.51.100.5')).status).toBe(429);

    test.advance(window);
    expect((await login(user.email, user.password, '198.51.100.4')).status).toBe(200);
  });

  it('limits one address trying many accounts, known or not', async () => {
    const ip = '203.0.113.7';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await login(`guess-${attempt}@example.test`, 'wrong-password', ip)).status).toBe(401);
    }
    expect((await login(user.email, user.password, ip)).status).toBe(429);
    expect((await login(user.email, user.password, '203.0.113.8')).status).toBe(200);
  });

  it('shares counters between server instances on the same database', async () => {
    const other = await createServer({
      config: test.server.context.config,
      database: test.database.openSecondConnection(),
      clock: { now: () => test.now },
      passwordHashing: { cost: 1024 },
      attemptLimits: test.server.context.attemptLimits,
      logger: createLogger({ level: 'silent' }),
      migrateOnStart: false,
    });
    await other.ready();
    const victim = await createUser(test, 'shared');
    const ip = '192.0.2.5';
    await login(victim.email, 'wrong-1', `${ip}1`);
    await login(victim.email, 'wrong-2', `${ip}2`);
    const third = await other.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: victim.email, password: 'wrong-3' },
      remoteAddress: `${ip}3`,
    });
    expect(third.statusCode).toBe(401);
    const blockedOnOther = await other.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: victim.email, password: victim.password },
      remoteAddress: `${ip}4`,
    });
    expect(blockedOnOther.statusCode).toBe(429);
    await other.stop();
    await other.context.database.close();
  });

  it('limits reset mails per account', async () => {
    const target = await createUser(test, 'mail-limit');
    const before = test.smtp.mails.filter((mail) => mail.to === target.email).length;
    for (const ip of ['192.0.2.1', '192.0.2.2']) {
      expect(
        (await test.request('POST', '/v1/auth/password-reset', { body: { email: target.email }, ip })).status,
      ).toBe(202);
    }
    const third = await test.request('POST', '/v1/auth/password-reset', {
      body: { email: target.email },
      ip: '192.0.2.3',
    });
    expect(third.status).toBe(429);
    expect(test.smtp.mails.filter((mail) => mail.to === target.email).length).toBe(before + 2);
  });
});
