import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDatabases } from '../../test/support/databases.js';
import { tenantScope } from './tenant-scope.js';

describe.each(testDatabases())('tenantScope on %s', (kind) => {
  let test: TestDatabase;
  let orgA: string;
  let orgB: string;
  let userId: string;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
    const orgs = await test.database.query<{ id: string }>(
      "INSERT INTO orgs (name) VALUES ('A'), ('B') RETURNING id",
    );
    orgA = orgs.rows[0]?.id ?? '';
    orgB = orgs.rows[1]?.id ?? '';
    const users = await test.database.query<{ id: string }>(
      "INSERT INTO users (email, password_hash) VALUES ('scope@example.test', 'x') RETURNING id",
    );
    userId = users.rows[0]?.id ?? '';
  });
  afterAll(async () => {
    await test.dispose();
  });

  it("never reads, updates or deletes another organisation's rows", async () => {
    const inB = await tenantScope(test.database, orgB).insert('invitations', {
      email: 'b@example.test',
      role: 'member',
      token_hash: 'hash-b',
      expires_at: new Date('2030-01-01T00:00:00Z'),
    });
    const scopeA = tenantScope(test.database, orgA);
    expect(await scopeA.findOne('invitations', { id: inB.id })).toBeUndefined();
    expect(await scopeA.list('invitations')).toEqual([]);
    expect(await scopeA.update('invitations', { id: inB.id }, { revoked_at: new Date() })).toEqual([]);
    expect(await scopeA.remove('invitations', { id: inB.id })).toBe(0);
    expect(await scopeA.count('invitations')).toBe(0);
    const stillThere = await tenantScope(test.database, orgB).findOne('invitations', { id: inB.id });
    expect(stillThere?.revoked_at).toBeNull();
  });

  it('sets org_id itself, ignoring one smuggled into the values', async () => {
    const values = { user_id: userId, role: 'viewer' as const, org_id: orgB };
    const row = await tenantScope(test.database, orgA).insert('memberships', values);
    expect(row.org_id).toBe(orgA);
  });

  it('filters by conditions and pages with a keyset cursor', async () => {
    const scope = tenantScope(test.database, orgA);
    for (const [index, email] of ['1@x.test', '2@x.test', '3@x.test'].entries()) {
      await scope.insert('invitations', {
        email,
        role: 'viewer',
        token_hash: `hash-${index}`,
        expires_at: new Date('2030-01-01T00:00:00Z'),
        created_at: new Date(Date.UTC(2026, 0, 1 + index)),
      });
    }
    const first = await scope.list('invitations', { limit: 2 });
    expect(first.map((row) => row.email)).toEqual(['1@x.test', '2@x.test']);
    const last = first[1];
    if (last === undefined) throw new Error('expected two rows');
    const rest = await scope.list('invitations', { after: { value: last.created_at, id: last.id } });
    expect(rest.map((row) => row.email)).toEqual(['3@x.test']);
    expect(await scope.count('invitations', { email: '2@x.test', revoked_at: null })).toBe(1);
  });

  it('rejects table and column names that are not plain identifiers', async () => {
    const scope = tenantScope(test.database, orgA);
    await expect(scope.findOne('users' as 'memberships', {})).rejects.toThrow('Not a tenant table: "users"');
    await expect(scope.findOne('memberships', { 'role"; --': 'x' } as object)).rejects.toThrow(
      'Not a valid SQL identifier',
    );
  });
});
