import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRing } from '../src/crypto/key-ring.js';
import { readProviderKey, rotateProviderKeys } from '../src/provider-keys/provider-key-store.js';
import { testDatabases } from './support/databases.js';
import { createApiToken, dumpAllTables } from './support/org-helpers.js';
import { createUser, startTestServer, type TestServer, type TestUser } from './support/test-server.js';

interface ProviderKeyBody {
  id: string;
  name: string;
  provider: string;
  baseUrl: string | null;
  hint: string;
  createdAt: string;
}

describe.each(testDatabases())('provider keys on %s', (kind) => {
  let test: TestServer;
  let owner: TestUser;
  const secret = `sk-proj-${randomBytes(24).toString('hex')}wxyz`;
  beforeAll(async () => {
    test = await startTestServer(kind);
    owner = await createUser(test, 'keys');
  });
  afterAll(async () => {
    await test.close();
  });

  it('stores a key encrypted, shows only a hint, and leaves the plaintext in no table and no log line', async () => {
    const created = await test.request<ProviderKeyBody>('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'production', provider: 'openai', apiKey: secret },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'production',
      provider: 'openai',
      baseUrl: null,
      hint: 'sk-…wxyz',
      createdAt: test.now.toISOString(),
    });
    const listed = await test.request<{ data: ProviderKeyBody[] }>('GET', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(listed.body.data).toEqual([created.body]);
    const one = await test.request('GET', `/v1/provider-keys/${created.body.id}`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(one.body).toEqual(created.body);

    // A rejected request carrying the key (unknown field) must not echo or log it either.
    const rejected = await test.request('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'x', provider: 'openai', apiKey: secret, api_key: secret },
    });
    expect(rejected.status).toBe(400);
    expect(JSON.stringify(rejected.body)).not.toContain(secret);
    const malformed = await test.request('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      headers: { 'content-type': 'application/json' },
      body: `{"apiKey": "${secret}"`,
    });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).not.toContain(secret);

    const { rows } = await test.database.database.query<{ key_id: string; ciphertext: string }>(
      'SELECT key_id, ciphertext FROM provider_keys WHERE id = $1',
      [created.body.id],
    );
    expect(rows[0]?.key_id).toBe(test.server.context.keyRing.current.id);
    expect(rows[0]?.ciphertext).not.toContain(secret.slice(8, 30));
    expect(await dumpAllTables(test)).not.toContain(secret.slice(8));
    expect(test.logs.length).toBeGreaterThan(10);
    expect(test.logs.join('')).not.toContain(secret.slice(8));

    const decrypted = await readProviderKey(
      test.database.database,
      test.server.context.keyRing,
      owner.orgId,
      created.body.id,
    );
    expect(decrypted).toEqual({ provider: 'openai', baseUrl: null, apiKey: secret });
  });

  it('binds each ciphertext to its organisation', async () => {
    const other = await createUser(test, 'keys-other');
    const created = await test.request<ProviderKeyBody>('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'bound', provider: 'anthropic', apiKey: 'sk-ant-bound-key-1234' },
    });
    const otherKey = await test.request<ProviderKeyBody>('POST', '/v1/provider-keys', {
      token: other.accessToken,
      org: other.orgId,
      body: { name: 'target', provider: 'anthropic', apiKey: 'sk-ant-other-key-5678' },
    });
    // Someone with database access copies org A's ciphertext into org B's row: it does not decrypt.
    await test.database.database.query(
      'UPDATE provider_keys SET ciphertext = (SELECT ciphertext FROM provider_keys WHERE id = $1) WHERE id = $2',
      [created.body.id, otherKey.body.id],
    );
    await expect(
      readProviderKey(test.database.database, test.server.context.keyRing, other.orgId, otherKey.body.id),
    ).rejects.toThrow();
    expect(
      await readProviderKey(
        test.database.database,
        test.server.context.keyRing,
        other.orgId,
        created.body.id,
      ),
    ).toBeUndefined();
  });

  it('requires a base URL for OpenAI-compatible providers and deletes keys', async () => {
    const missing = await test.request('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      body: { name: 'local', provider: 'openai-compatible', apiKey: 'local-key-123' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { details: { issues: [{ path: '/baseUrl' }] } } });
    const created = await test.request<ProviderKeyBody>('POST', '/v1/provider-keys', {
      token: owner.accessToken,
      org: owner.orgId,
      body: {
        name: 'local',
        provider: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:11434/v1',
        apiKey: 'local-key-123',
      },
    });
    expect(created.body).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', hint: 'local-…-123' });
    const removed = await test.request('DELETE', `/v1/provider-keys/${created.body.id}`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(removed.status).toBe(204);
    const gone = await test.request('GET', `/v1/provider-keys/${created.body.id}`, {
      token: owner.accessToken,
      org: owner.orgId,
    });
    expect(gone.status).toBe(404);
    const token = await createApiToken(test, owner, owner.orgId, 'member');
    const memberCannotCreate = await test.request('POST', '/v1/provider-keys', {
      token: token.token,
      body: { name: 'x', provider: 'openai', apiKey: 'sk-member-1234' },
    });
    expect(memberCannotCreate.status).toBe(403);
  });

  it('re-encrypts every key with a new ENCRYPTION_KEY (rotate-keys)', async () => {
    const database = test.database.database;
    const oldKeyRing = test.server.context.keyRing;
    const { rows: before } = await database.query<{ id: string; org_id: string }>(
      'SELECT id, org_id FROM provider_keys',
    );
    const plaintexts = await Promise.all(
      before.map(
        async (row) =>
          (await readProviderKey(database, oldKeyRing, row.org_id, row.id).catch(() => undefined))?.apiKey,
      ),
    );
    const newKey = randomBytes(32).toString('base64');
    const rotatedRing = createKeyRing(newKey, [test.server.context.config.encryptionKey]);
    const result = await rotateProviderKeys(database, rotatedRing);
    // The row whose ciphertext was swapped in the previous test cannot be decrypted, and is reported.
    expect(result.failed.map((failure) => failure.reason)).toEqual([
      'Unsupported state or unable to authenticate data',
    ]);
    expect(result.rotated).toBe(before.length - 1);
    const { rows: keyIds } = await database.query<{ key_id: string }>(
      'SELECT DISTINCT key_id FROM provider_keys WHERE id <> $1',
      [result.failed[0]?.id],
    );
    expect(keyIds).toEqual([{ key_id: rotatedRing.current.id }]);
    const onlyNewKey = createKeyRing(newKey);
    for (const [index, row] of before.entries()) {
      if (row.id === result.failed[0]?.id) continue;
      expect((await readProviderKey(database, onlyNewKey, row.org_id, row.id))?.apiKey).toBe(
        plaintexts[index],
      );
    }
    expect((await rotateProviderKeys(database, rotatedRing)).rotated).toBe(0);
  });
});
