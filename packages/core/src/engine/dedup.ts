import { createHash } from 'node:crypto';
import type { ChatMessage } from '../providers/provider.js';
import { type CachedResult, LruMap } from './result-cache.js';

/**
 * The identity of a rendered request within a run, whose provider, model and parameters are fixed:
 * its messages. A single message is its own key (the same string the request body serialises, so V8
 * flattens and hashes it once); several are length-prefixed, so no two different lists share a key.
 */
export function requestKey(messages: readonly ChatMessage[]): string {
  const [first] = messages;
  if (messages.length === 1 && first !== undefined) return first.content;
  let key = '';
  for (const message of messages) key += `${message.role}:${message.content.length}:${message.content}`;
  return key;
}

/** The key a {@link ResultCache} sees: SHA-256 of the run's fingerprint (provider, model, parameters, schema) and the request key, in hex. */
export function cacheKey(fingerprint: string, key: string): string {
  return createHash('sha256').update(fingerprint).update('\n').update(key).digest('hex');
}

/** Called with the leader's outcome: a result to reuse, or `undefined` when the leader failed. */
export type Follower = (outcome: CachedResult | undefined) => void;

/**
 * Identical requests within one run: the first is sent (the leader), later ones wait for it or reuse
 * its result. Finished results are remembered for the last `maxEntries` distinct requests, so memory
 * stays bounded on endless sources. Failed requests are not remembered: followers of a failed leader
 * make their own call.
 */
export class DedupIndex {
  readonly #done: LruMap<CachedResult>;
  readonly #pending = new Map<string, Follower[]>();

  constructor(maxEntries: number) {
    this.#done = new LruMap(maxEntries);
  }

  /** A finished result for `key`, if one is remembered. */
  reuse(key: string): CachedResult | undefined {
    return this.#done.get(key);
  }

  /** Waits for the leader of `key` if there is one in flight (true), else makes the caller the leader (false). */
  followOrLead(key: string, follower: Follower): boolean {
    const followers = this.#pending.get(key);
    if (followers !== undefined) {
      followers.push(follower);
      return true;
    }
    this.#pending.set(key, []);
    return false;
  }

  /** The leader of `key` finished: remember a success, and tell the followers. */
  finish(key: string, outcome: CachedResult | undefined): void {
    const followers = this.#pending.get(key);
    this.#pending.delete(key);
    if (outcome !== undefined) this.#done.set(key, outcome);
    for (const follower of followers ?? []) follower(outcome);
  }
}
