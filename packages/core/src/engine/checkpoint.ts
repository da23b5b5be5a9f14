import type { UnitResult } from '../types.js';

/**
 * Tells the engine which units are already done, and hears about each finished unit. The CLI keeps
 * this in its output file, the server in Postgres; embedders can plug in anything.
 *
 * @example
 * ```ts
 * const done = new Set<string>();
 * const checkpoint: CheckpointStore = {
 *   isDone: (key) => done.has(key),
 *   markDone: (result) => { if (result.status === 'ok') done.add(result.key); },
 * };
 * engine.run(source, job, { checkpoint });
 * ```
 */
export interface CheckpointStore {
  /** True when the unit with this key needs no call: it is skipped, not re-billed, and not yielded. */
  isDone(key: string, index: number): boolean | Promise<boolean>;
  /**
   * Called once per finished unit (ok or error), in completion order, before the result is yielded.
   * A store that must survive crashes persists the result here; if it throws, the run stops with
   * reason `failed`.
   */
  markDone?(result: UnitResult): void | Promise<void>;
}

/**
 * An in-memory {@link CheckpointStore} that counts units with status `ok` as done.
 *
 * @example
 * ```ts
 * const checkpoint = createMemoryCheckpoint();
 * await engine.run(units, job, { checkpoint }).drain();
 * await engine.run(units, job, { checkpoint }).drain(); // sends only the units that failed before
 * ```
 */
export function createMemoryCheckpoint(initialKeys: Iterable<string> = []): CheckpointStore & {
  /** Keys counted as done. */
  readonly keys: ReadonlySet<string>;
} {
  const keys = new Set(initialKeys);
  return {
    keys,
    isDone: (key) => keys.has(key),
    markDone: (result) => {
      if (result.status === 'ok') keys.add(result.key);
    },
  };
}
