import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import { createOutboxMailer } from '../src/mail/mailer.js';
import { createServer } from '../src/server.js';
import { testDatabases } from './support/databases.js';
import { startTestServer, type TestServer } from './support/test-server.js';

interface Outbox {
  data: { to: string; subject: string; text: string }[];
}

describe.each(testDatabases())('development outbox on %s', (kind) => {
  let test: TestServer;
  beforeAll(async () => {
    // No SMTP_URL outside production: mail goes to the outbox table.
    test = await startTestServer(kind, { environment: { SMTP_URL: '' } });
  });
  afterAll(async () => {
    await test.close();
  });

  it('keeps mail in the outbox and shows it to callers on this machine', async () => {
    expect(test.server.context.mailer.kind).toBe('outbox');
    const email = 'local-dev@example.test';
    await test.request('POST', '/v1/auth/signup', { body: { email, password: 'local-dev-password' } });
    const outbox = await test.request<Outbox>('GET', '/v1/dev/outbox');
    expect(outbox.status).toBe(200);
    const mail = outbox.body.data[0];
    expect(mail).toMatchObject({ to: email, subject: 'Confirm your email address for llmbatch' });
    const token = new URL(/https:\S+/.exec(mail?.text ?? '')?.[0] ?? 'https://x').searchParams.get('token');
    expect((await test.request('POST', '/v1/auth/verify-email', { body: { token } })).status).toBe(200);
    expect(test.smtp.mails).toEqual([]);

    const remote = await test.request('GET', '/v1/dev/outbox', { ip: '203.0.113.10' });
    expect(remote.status).toBe(404);
  });

  it('does not exist in production', async () => {
    const production = await createServer({
      config: { ...test.server.context.config, environment: 'production' },
      database: test.database.openSecondConnection(),
      mailer: createOutboxMailer(test.database.database),
      logger: createLogger({ level: 'silent' }),
      migrateOnStart: false,
    });
    await production.ready();
    const response = await production.app.inject({ method: 'GET', url: '/v1/dev/outbox' });
    expect(response.statusCode).toBe(404);
    expect(production.routes.map((route) => route.url)).not.toContain('/v1/dev/outbox');
    await production.stop();
    await production.context.database.close();
  });
});
