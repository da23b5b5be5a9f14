import type { Role } from '../../src/db/rows.js';
import { createUser, type TestServer, type TestUser } from './test-server.js';

/**
 * Adds a new user to `orgId` with `role` through the invitation flow (invite, mail, accept).
 */
export async function addMember(
  test: TestServer,
  owner: TestUser,
  orgId: string,
  role: Role,
  label: string,
): Promise<TestUser> {
  const member = await createUser(test, label);
  const invited = await test.request('POST', `/v1/orgs/${orgId}/invitations`, {
    token: owner.accessToken,
    body: { email: member.email, role },
  });
  if (invited.status !== 201)
    throw new Error(`invite answered ${invited.status}: ${JSON.stringify(invited.body)}`);
  const mail = await test.smtp.waitForMail(member.email, /invited/);
  const accepted = await test.request('POST', '/v1/invitations/accept', {
    token: member.accessToken,
    body: { token: test.smtp.tokenFrom(mail) },
  });
  if (accepted.status !== 200)
    throw new Error(`accept answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
  return member;
}

/** Creates an API token in `orgId` and returns its secret and id. */
export async function createApiToken(
  test: TestServer,
  user: TestUser,
  orgId: string,
  role: Exclude<Role, 'owner'>,
): Promise<{ token: string; id: string }> {
  const response = await test.request<{ token: string; apiToken: { id: string } }>('POST', '/v1/api-tokens', {
    token: user.accessToken,
    org: orgId,
    body: { name: `${role} token`, role },
  });
  if (response.status !== 201)
    throw new Error(`create token answered ${response.status}: ${JSON.stringify(response.body)}`);
  return { token: response.body.token, id: response.body.apiToken.id };
}

/** Every row of every table of the test database, as one text (to search for leaked secrets). */
export async function dumpAllTables(test: TestServer): Promise<string> {
  const { rows: tables } = await test.database.database.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  let text = '';
  for (const { name } of tables) {
    if (!/^[a-z_]+$/.test(name)) continue;
    const { rows } = await test.database.database.query(`SELECT * FROM "${name}"`);
    text += `${name}\n${JSON.stringify(rows)}\n`;
  }
  return text;
}
