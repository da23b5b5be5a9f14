import type { JsonValue, Usage } from '../types.js';

/**
 * A successful outcome kept for reuse by an identical request: from earlier in the same run (dedup) or
 * from a {@link ResultCache} across runs.
 *
 * @example
 * ```ts
 * const entry: CachedResult = { value: { label: 'spam' }, raw: '{"label":"spam"}', warnings: [], usage, cost: 0.00002 };
 * ```
 */
export interface CachedResult {
  /** The unit value. */
  value: JsonValue;
  /** The model's raw text. */
  raw: string;
  /** Post-processing warnings. */
  warnings: string[];
  /** Tokens the original calls used. */
  usage: Usage;
  /** What the original calls cost in USD (`null` when the price was unknown): counted as saved on reuse. */
  cost: number | null;
}

/**
 * Where results are kept across runs, keyed by a hash of the request (provider, model, parameters,
 * messages, output schema). Only successful results are stored; errors never are. Methods may be async
 * (a Redis or SQLite store); if one throws, the engine logs a warning and carries on without the cache.
 *
 * @example
 * ```ts
 * const cache: ResultCache = {
 *   get: (key) => redis.get(key).then((text) => (text === null ? undefined : JSON.parse(text))),
 *   set: (key, result) => redis.set(key, JSON.stringify(result)),
 * };
 * createEngine({ cache });
 * ```
 */
export interface ResultCache {
  /** The stored result for `key`, or `undefined`. */
  get(key: string): CachedResult | undefined | Promise<CachedResult | undefined>;
  /** Stores `result` under `key`. */
  set(key: string, result: CachedResult): void | Promise<void>;
}

/**
 * Options of {@link createMemoryCache}.
 *
 * @example
 * ```ts
 * const options: MemoryCacheOptions = { maxEntries: 50_000 };
 * ```
 */
export interface MemoryCacheOptions {
  /** Most results kept; when full the least recently used go first (the oldest sixteenth at once from 1024 entries). @default 10000 */
  maxEntries?: number;
}

/**
 * An in-memory least-recently-used {@link ResultCache}; give the same one to several engines or keep
 * one engine for several runs to reuse results across them.
 *
 * @example
 * ```ts
 * const engine = createEngine({ cache: createMemoryCache({ maxEntries: 50_000 }) });
 * await engine.run(rows, job).drain();
 * const again = await engine.run(rows, job).drain(); // again.cacheHits === rows.length
 * ```
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): ResultCache & {
  /** Entries held. */
  readonly size: number;
  /** Drops every entry. */
  clear(): void;
} {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new LruMap<CachedResult>(maxEntries);
  return {
    get size() {
      return entries.size;
    },
    get: (key) => entries.get(key),
    set: (key, result) => entries.set(key, result),
    clear: () => entries.clear(),
  };
}

/** A Map in least-recently-used order: reads move an entry to the back, writes past the limit drop the front. */
export class LruMap<T> {
  readonly #map = new Map<string, T>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.#map.size;
  }

  get(key: string): T | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: T): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.maxEntries) this.#evict();
  }

  /**
   * Drops the oldest entry, or the oldest sixteenth at once in large maps: a Map keeps deleted slots
   * until it compacts, and walking past them for every single eviction made each insert cost
   * microseconds at 10,000 entries.
   */
  #evict(): void {
    const target = this.maxEntries >= 1024 ? this.maxEntries - (this.maxEntries >> 4) : this.maxEntries;
    for (const oldest of this.#map.keys()) {
      this.#map.delete(oldest);
      if (this.#map.size <= target) break;
    }
  }

  clear(): void {
    this.#map.clear();
  }
}
