import { randomUUID } from 'node:crypto';
import type { KeyRing } from '../crypto/key-ring.js';
import { open, seal } from '../crypto/secret-box.js';
import type { Database, Queryable } from '../db/database.js';
import type { ProviderKeyRow } from '../db/rows.js';
import { tenantScope } from '../db/tenant-scope.js';

/** The providers a key can be for. */
export type ProviderName = ProviderKeyRow['provider'];

/**
 * The additional authenticated data of a provider key's ciphertext: binds it to its organisation
 * and row, so a ciphertext copied anywhere else fails to decrypt.
 */
function sealContext(orgId: string, id: string): string {
  return `provider-key:${orgId}:${id}`;
}

/**
 * A hint that lets people recognise a key without revealing it: its prefix and last four
 * characters, e.g. `sk-…abcd`.
 *
 * @example
 * ```ts
 * keyHint('sk-proj-0123456789abcd'); // 'sk-…abcd'
 * ```
 */
export function keyHint(apiKey: string): string {
  const prefix = /^[A-Za-z]{1,6}-/.exec(apiKey)?.[0] ?? '';
  return `${prefix}…${apiKey.slice(-4)}`;
}

/** Fields of a new provider key. */
export interface NewProviderKey {
  name: string;
  provider: ProviderName;
  baseUrl: string | null;
  apiKey: string;
  createdBy: string | null;
  createdAt: Date;
}

/**
 * Encrypts and stores a provider key in an organisation. The plaintext exists only in this call.
 *
 * @example
 * ```ts
 * const row = await storeProviderKey(transaction, keyRing, orgId, { name, provider, baseUrl: null, apiKey, createdBy, createdAt });
 * ```
 */
export async function storeProviderKey(
  queryable: Queryable,
  keyRing: KeyRing,
  orgId: string,
  key: NewProviderKey,
): Promise<ProviderKeyRow> {
  const id = randomUUID();
  const sealed = seal(keyRing, key.apiKey, sealContext(orgId, id));
  return tenantScope(queryable, orgId).insert('provider_keys', {
    id,
    name: key.name,
    provider: key.provider,
    base_url: key.baseUrl,
    key_id: sealed.keyId,
    ciphertext: sealed.ciphertext,
    hint: keyHint(key.apiKey),
    created_by: key.createdBy,
    created_at: key.createdAt,
  });
}

/**
 * Decrypts one provider key of one organisation, for a worker about to call the provider. Jobs
 * name keys by id only; the plaintext never enters a queue payload, a response or a log line.
 *
 * @example
 * ```ts
 * const key = await readProviderKey(database, keyRing, job.orgId, job.providerKeyId);
 * if (key !== undefined) createProvider({ apiKey: key.apiKey, baseUrl: key.baseUrl ?? undefined });
 * ```
 */
export async function readProviderKey(
  queryable: Queryable,
  keyRing: KeyRing,
  orgId: string,
  id: string,
): Promise<{ provider: ProviderName; baseUrl: string | null; apiKey: string } | undefined> {
  const row = await tenantScope(queryable, orgId).findOne('provider_keys', { id });
  if (row === undefined) return undefined;
  const apiKey = open(keyRing, { keyId: row.key_id, ciphertext: row.ciphertext }, sealContext(orgId, id));
  return { provider: row.provider, baseUrl: row.base_url, apiKey };
}

/** What {@link rotateProviderKeys} did. */
export interface RotateKeysResult {
  /** Rows re-encrypted with the current key. */
  rotated: number;
  /** Rows already on the current key. */
  current: number;
  /** Rows that could not be decrypted (their key is not configured, or the data is damaged). */
  failed: { id: string; orgId: string; keyId: string; reason: string }[];
}

/**
 * Re-encrypts every provider key not sealed with the current `ENCRYPTION_KEY`, using the old keys
 * from `ENCRYPTION_KEYS_OLD` to decrypt. Each row is updated only if nobody changed it meanwhile.
 * This maintenance pass spans organisations on purpose; each row is sealed to its own org again.
 *
 * @example
 * ```ts
 * const { rotated, failed } = await rotateProviderKeys(database, keyRing);
 * ```
 */
export async function rotateProviderKeys(database: Database, keyRing: KeyRing): Promise<RotateKeysResult> {
  const result: RotateKeysResult = { rotated: 0, current: 0, failed: [] };
  const { rows: counts } = await database.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM provider_keys WHERE key_id = $1',
    [keyRing.current.id],
  );
  result.current = counts[0]?.count ?? 0;
  const { rows } = await database.query<Pick<ProviderKeyRow, 'id' | 'org_id' | 'key_id' | 'ciphertext'>>(
    'SELECT id, org_id, key_id, ciphertext FROM provider_keys WHERE key_id <> $1 ORDER BY created_at, id',
    [keyRing.current.id],
  );
  for (const row of rows) {
    let plaintext: string;
    try {
      plaintext = open(
        keyRing,
        { keyId: row.key_id, ciphertext: row.ciphertext },
        sealContext(row.org_id, row.id),
      );
    } catch (error) {
      result.failed.push({
        id: row.id,
        orgId: row.org_id,
        keyId: row.key_id,
        reason: error instanceof Error ? error.message : 'cannot decrypt',
      });
      continue;
    }
    const sealed = seal(keyRing, plaintext, sealContext(row.org_id, row.id));
    const updated = await tenantScope(database, row.org_id).update(
      'provider_keys',
      { id: row.id, key_id: row.key_id, ciphertext: row.ciphertext },
      { key_id: sealed.keyId, ciphertext: sealed.ciphertext },
    );
    result.rotated += updated.length;
  }
  return result;
}
