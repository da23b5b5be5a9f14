import { createAnthropicProvider, createOpenAICompatibleProvider, type Provider } from '@llmbatch/core';

/** A tenant's provider key, decrypted for the shard runs that use it. */
export interface ProviderKeyMaterial {
  provider: string;
  baseUrl: string | null;
  apiKey: string;
}

/** A provider lent to one shard run; see {@link ProviderCache}. */
export interface LentProvider {
  /** The provider to give the engine. Closing it (the engine does at its end) only returns it. */
  provider: Provider;
}

/**
 * The providers of the jobs a worker is running, kept across their shards: consecutive shards of a
 * job (and shards of it that run at once) share one provider and its keep-alive connections instead
 * of each opening its own. A provider no shard uses is closed after `idleMs`, and all of them by
 * `close()`; its decrypted key lives in memory only that long.
 *
 * @example
 * ```ts
 * const providers = createProviderCache({ name: 'tenant', idleMs: 5_000 });
 * const lent = providers.lend(job.id, key, { maxConnections: job.spec.concurrency * 2 });
 * const engine = createEngine({ providers: { tenant: lent.provider }, concurrency: job.spec.concurrency });
 * // … the shard runs …
 * await engine.close(); // returns the provider to the cache
 * await providers.close(); // at shutdown
 * ```
 */
export interface ProviderCache {
  /**
   * The provider for `jobId` with `key`: the cached one when it was made from the same key,
   * otherwise a new one (with at most `maxConnections` connections to its host).
   */
  lend(jobId: string, key: ProviderKeyMaterial, options: { maxConnections: number }): LentProvider;
  /** Closes every provider now (the worker is stopping). */
  close(): Promise<void>;
}

interface Entry {
  key: ProviderKeyMaterial;
  provider: Provider;
  lent: number;
  idleTimer: NodeJS.Timeout | undefined;
}

function sameKey(a: ProviderKeyMaterial, b: ProviderKeyMaterial): boolean {
  return a.provider === b.provider && a.baseUrl === b.baseUrl && a.apiKey === b.apiKey;
}

function buildProvider(name: string, key: ProviderKeyMaterial, maxConnections: number): Provider {
  const options = {
    name,
    apiKey: key.apiKey,
    maxConnections,
    ...(key.baseUrl === null ? {} : { baseURL: key.baseUrl }),
  };
  return key.provider === 'anthropic'
    ? createAnthropicProvider(options)
    : createOpenAICompatibleProvider(options);
}

/**
 * Creates a {@link ProviderCache} whose providers are named `name` (the engine's provider name).
 *
 * @example
 * ```ts
 * const providers = createProviderCache({ name: 'tenant' });
 * ```
 */
export function createProviderCache(options: { name: string; idleMs?: number }): ProviderCache {
  const idleMs = options.idleMs ?? 5_000;
  const entries = new Map<string, Entry>();

  const retire = (jobId: string, entry: Entry) => {
    if (entries.get(jobId) === entry) entries.delete(jobId);
    void entry.provider.close?.();
  };

  return {
    lend(jobId, key, { maxConnections }) {
      let entry = entries.get(jobId);
      if (entry !== undefined && !sameKey(entry.key, key)) {
        // The key changed (edited or rotated by the tenant): new runs use the new one.
        entries.delete(jobId);
        const stale = entry;
        if (stale.lent === 0) retire(jobId, stale);
        entry = undefined;
      }
      if (entry === undefined) {
        entry = {
          key,
          provider: buildProvider(options.name, key, maxConnections),
          lent: 0,
          idleTimer: undefined,
        };
        entries.set(jobId, entry);
      }
      const lentEntry = entry;
      clearTimeout(lentEntry.idleTimer);
      lentEntry.idleTimer = undefined;
      lentEntry.lent++;
      let returned = false;
      return {
        provider: {
          name: options.name,
          complete: (request) => lentEntry.provider.complete(request),
          close: async () => {
            if (returned) return;
            returned = true;
            lentEntry.lent--;
            if (lentEntry.lent > 0) return;
            if (entries.get(jobId) !== lentEntry) return retire(jobId, lentEntry);
            lentEntry.idleTimer = setTimeout(() => retire(jobId, lentEntry), idleMs);
            lentEntry.idleTimer.unref();
          },
        },
      };
    },
    async close() {
      const all = [...entries.values()];
      entries.clear();
      for (const entry of all) clearTimeout(entry.idleTimer);
      await Promise.all(all.map((entry) => entry.provider.close?.()));
    },
  };
}
